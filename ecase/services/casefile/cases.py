"""Opening case files with their Aktenzeichen and reading them with their documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.enums import Role
from ecase.domain.errors import ConflictError, InvalidInputError, NotFoundError
from ecase.domain.messages import N_
from ecase.domain.reference import ReferenceScheme, check_plan_code
from ecase.models import (
    CaseFile,
    Document,
    FilePlanEntry,
    Person,
    ReferenceCounter,
    Team,
    User,
)
from ecase.services.access import audit
from ecase.services.access.policy import deny, facts, read_flags
from ecase.services.casefile.views import CaseView, DocumentView
from ecase.services.context import Context

REFERENCE_IN_USE = N_("Aktenzeichen %(reference)s is already in use.")
NOT_IN_TEAM = N_("'%(user)s' does not work in the file's team.")
NO_SUCH_TEAM = N_("There is no team called '%(team)s'.")

MAX_SUBJECT = 500
# The running number restarts with the office's calendar year, not UTC's.
OFFICE_TZ = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True, slots=True)
class NewCase:
    person_id: int
    subject: str
    team: str | None = None
    file_plan: str | None = None
    reference: str | None = None


def next_reference(session: Session, scheme: ReferenceScheme, plan: str, year: int) -> str:
    """Hand out the next running number; the counter row lock serialises concurrent callers."""
    while True:
        seq = session.execute(
            update(ReferenceCounter)
            .where(ReferenceCounter.plan_code == plan, ReferenceCounter.year == year)
            .values(last_seq=ReferenceCounter.last_seq + 1)
            .returning(ReferenceCounter.last_seq)
        ).scalar()
        if seq is None:
            try:
                with session.begin_nested():
                    session.add(ReferenceCounter(plan_code=plan, year=year, last_seq=1))
                seq = 1
            except IntegrityError:
                continue  # another transaction created the counter first; take the next number
        reference = scheme.format(plan, year, seq)
        # A file taken over from paper may already hold this number; skip past it.
        taken = session.execute(select(CaseFile.id).where(CaseFile.reference == reference)).first()
        if taken is None:
            return reference


def _reserve_manual_reference(
    session: Session, scheme: ReferenceScheme, text: str, plan: str
) -> str:
    ref = scheme.parse(text)
    if ref.plan != plan:
        raise InvalidInputError(
            f"The Aktenzeichen belongs to file plan {ref.plan}, not {plan}.", field="reference"
        )
    reference = scheme.format(ref.plan, ref.year, ref.seq)
    if session.execute(select(CaseFile.id).where(CaseFile.reference == reference)).first():
        raise ConflictError(REFERENCE_IN_USE % {"reference": reference}, field="reference")
    return reference


def _team_for(session: Session, actor: Actor, team_name: str | None) -> Team:
    if team_name:
        team = session.execute(select(Team).where(Team.name == team_name.strip())).scalar()
        if team is None:
            raise InvalidInputError(NO_SUCH_TEAM % {"team": team_name}, field="team")
        return team
    user = session.get(User, actor.user_id)
    if user is None or not user.teams:
        raise InvalidInputError(
            N_("You belong to no team; please name the team responsible for the file."),
            field="team",
        )
    return sorted(user.teams, key=lambda t: t.id)[0]


def create_case(ctx: Context, actor: Actor, data: NewCase) -> CaseView:
    subject_text = " ".join(data.subject.split())
    if not subject_text:
        raise InvalidInputError(N_("A case file needs a subject."), field="subject")
    if len(subject_text) > MAX_SUBJECT:
        raise InvalidInputError(N_("The subject is too long (500 characters)."), field="subject")
    with ctx.uow() as uow:
        session = uow.session
        if not policy.can_create_case(actor):
            deny(uow, actor, "case.create", audit.Subject("case"))
        person = session.get(Person, data.person_id)
        if person is None:
            raise InvalidInputError(
                f"There is no person with id {data.person_id}.", field="person_id"
            )
        plan_code = check_plan_code((data.file_plan or ctx.settings.default_file_plan).strip())
        plan = session.execute(
            select(FilePlanEntry).where(FilePlanEntry.code == plan_code, FilePlanEntry.active)
        ).scalar()
        if plan is None:
            raise InvalidInputError(
                f"File plan entry {plan_code} does not exist.", field="file_plan"
            )
        team = _team_for(session, actor, data.team)
        if actor.role is not Role.CLERK and team.id not in actor.team_ids:
            # Clerks route new files to the responsible team; everyone else opens files for
            # a team they work in, or they could not read what they just created.
            raise InvalidInputError(f"You are not a member of team '{team.name}'.", field="team")
        if data.reference:
            reference = _reserve_manual_reference(session, ctx.scheme, data.reference, plan.code)
        else:
            reference = next_reference(session, ctx.scheme, plan.code, datetime.now(OFFICE_TZ).year)
        case = CaseFile(
            reference=reference,
            person=person,
            file_plan=plan,
            subject=subject_text,
            team=team,
            created_by_id=actor.user_id,
        )
        session.add(case)
        try:
            session.flush()
        except IntegrityError as exc:
            raise ConflictError(
                REFERENCE_IN_USE % {"reference": reference}, field="reference"
            ) from exc
        audit.record(
            session, actor, "case.create", audit.Subject("case", case.id, case.id, person.id)
        )
        view = CaseView.of(case)
        uow.commit()
    return view


def load_case(session: Session, case_id: int) -> CaseFile | None:
    return session.execute(
        select(CaseFile)
        .where(CaseFile.id == case_id)
        .options(
            selectinload(CaseFile.person).selectinload(Person.aliases),
            selectinload(CaseFile.team),
            selectinload(CaseFile.file_plan),
        )
    ).scalar()


def get_case(ctx: Context, actor: Actor, case_id: int) -> CaseView:
    with ctx.uow() as uow:
        session = uow.session
        case = load_case(session, case_id)
        if case is None:
            raise NotFoundError(N_("Not found."))
        subject = audit.Subject("case", case.id, case.id, case.person_id)
        case_facts = facts(session, actor, case)
        if not policy.can_read_case(actor, case_facts):
            deny(uow, actor, "case.view", subject)
        documents = (
            session.execute(
                select(Document)
                .where(Document.case_id == case.id)
                .options(selectinload(Document.versions))
                .order_by(Document.received_on, Document.id)
            )
            .scalars()
            .all()
        )
        audit.record(session, actor, "case.view", subject, **read_flags(actor, case_facts))
        view = CaseView.of(case, tuple(DocumentView.of(d) for d in documents))
        uow.commit()
    return view


def list_cases(ctx: Context, actor: Actor, limit: int = 50) -> list[CaseView]:
    """The files the actor may read, most recently changed first (start page, case list)."""
    with ctx.uow() as uow:
        session = uow.session
        query = (
            select(CaseFile)
            .options(
                selectinload(CaseFile.person).selectinload(Person.aliases),
                selectinload(CaseFile.team),
                selectinload(CaseFile.file_plan),
            )
            .order_by(CaseFile.updated_at.desc(), CaseFile.id.desc())
            .limit(limit)
        )
        scope = policy.readable_cases(actor)
        if scope.is_empty:
            return []
        query = query.where(
            or_(CaseFile.team_id.in_(scope.team_ids), CaseFile.assignee_id == scope.assignee_id)
        )
        cases = session.execute(query).scalars().all()
        audit.record(
            session, actor, "case.list", audit.Subject("case"), reason=f"{len(cases)} files"
        )
        views = [CaseView.of(c) for c in cases]
        uow.commit()
    return views


@dataclass(frozen=True, slots=True)
class CaseChanges:
    """A partial update: ``None`` leaves a field as it is; ``assignee=""`` removes the assignee."""

    subject: str | None = None
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class MemberView:
    id: int
    username: str
    display_name: str
    role: str


def assignable_members(session: Session, team_id: int | None) -> list[MemberView]:
    """Who a file of this team may be assigned to: its active members who read case files."""
    if team_id is None:
        return []
    users = session.execute(
        select(User)
        .join(User.teams)
        .where(
            Team.id == team_id,
            User.active,
            User.role.in_([Role.CLERK, Role.CASEWORKER, Role.SUPERVISOR]),
        )
        .order_by(User.username)
    ).scalars()
    return [MemberView(u.id, u.username, u.display_name or u.username, str(u.role)) for u in users]


def _clean_subject(subject: str) -> str:
    text = " ".join(subject.split())
    if not text:
        raise InvalidInputError(N_("A case file needs a subject."), field="subject")
    if len(text) > MAX_SUBJECT:
        raise InvalidInputError(N_("The subject is too long (500 characters)."), field="subject")
    return text


def update_case(ctx: Context, actor: Actor, case_id: int, changes: CaseChanges) -> CaseView:
    """Change subject and assignee; the assignee must work in the file's team."""
    subject_text = _clean_subject(changes.subject) if changes.subject is not None else None
    with ctx.uow() as uow:
        session = uow.session
        case = load_case(session, case_id)
        if case is None:
            raise NotFoundError(N_("Not found."))
        subject = audit.Subject("case", case.id, case.id, case.person_id)
        case_facts = facts(session, actor, case)
        if not policy.can_edit_case_metadata(actor, case_facts):
            if policy.can_write_notes(actor, case_facts):
                raise ConflictError(N_("The case file is closed (zdA); it cannot be changed."))
            deny(uow, actor, "case.update", subject)
        changed = []
        if subject_text is not None and subject_text != case.subject:
            case.subject = subject_text
            changed.append("subject")
        if changes.assignee is not None:
            wanted = changes.assignee.strip()
            if not wanted:
                assignee_id = None
            else:
                members = {m.username: m.id for m in assignable_members(session, case.team_id)}
                if wanted not in members:
                    raise InvalidInputError(NOT_IN_TEAM % {"user": wanted}, field="assignee")
                assignee_id = members[wanted]
            if assignee_id != case.assignee_id:
                case.assignee_id = assignee_id
                changed.append("assignee")
        session.flush()
        if changed:
            audit.record(session, actor, "case.update", subject, reason=", ".join(changed))
        view = CaseView.of(case)
        uow.commit()
    return view
