"""The caseworker's desk: start page, opened case file and person pages, each in few queries.

Every function here reads with a fixed number of SQL statements, however many files,
documents or notes there are: caseworkers open files over a slow VPN, and a page that
issues one query per row gets slower with every document the file receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.base import ExecutableOption

from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.enums import CaseStatus, Role
from ecase.domain.errors import ConflictError, NotFoundError
from ecase.domain.messages import N_
from ecase.models import BreakGlassGrant, CaseFile, Document, Person, RecentCaseView, User
from ecase.services.access import audit
from ecase.services.access.policy import deny, read_flags
from ecase.services.casefile import persons
from ecase.services.casefile.cases import MemberView, assignable_members
from ecase.services.casefile.notes import NoteView, notes_of
from ecase.services.casefile.search import SearchRequest, search_documents
from ecase.services.casefile.views import CaseView, DocumentView, PersonMatch, PersonView
from ecase.services.context import Context
from search import SearchResult

TEAM_FILES = 50
RECENT_FILES = 10
READY_DOCUMENTS = 25
PERSON_FILES = 100


@dataclass(frozen=True, slots=True)
class RecentCase:
    case: CaseView
    viewed_at: datetime


@dataclass(frozen=True, slots=True)
class ReadyDocument:
    id: int
    title: str
    doc_type: str
    case_id: int
    reference: str
    person: str
    ready_at: datetime


@dataclass(frozen=True, slots=True)
class StartPage:
    """What the start page shows; the lists are empty for roles that read no case files."""

    role: str
    team_files: tuple[CaseView, ...] = ()
    recent: tuple[RecentCase, ...] = ()
    ready: tuple[ReadyDocument, ...] = ()
    #: the previous login; ``ready`` lists what became ready after it (None: first visit)
    since: datetime | None = None
    #: documents waiting in the Posteingang, for those who work it
    inbox_count: int | None = None


@dataclass(frozen=True, slots=True)
class CaseFilePage:
    """An opened case file with what the caller may do in it."""

    case: CaseView
    assignee: str | None
    assignee_username: str | None
    notes: tuple[NoteView, ...]
    members: tuple[MemberView, ...]
    may_read_notes: bool
    may_write_notes: bool
    may_edit: bool
    may_upload: bool
    break_glass: bool
    # All documents of the file; ``case.documents`` may hold only the newest of them.
    document_total: int = 0


@dataclass(frozen=True, slots=True)
class PersonFiles:
    """A person with the files of theirs the caller may open (others stay unmentioned)."""

    person: PersonView
    cases: tuple[CaseView, ...]


@dataclass(frozen=True, slots=True)
class PersonHit:
    match: PersonMatch
    cases: tuple[CaseView, ...]


def _case_options() -> tuple[ExecutableOption, ...]:
    return (
        selectinload(CaseFile.person).selectinload(Person.aliases),
        selectinload(CaseFile.team),
        selectinload(CaseFile.file_plan),
    )


def _in_scope(scope: policy.CaseScope, extra: frozenset[int] = frozenset()) -> ColumnElement[bool]:
    """The SQL form of ``CaseScope.includes`` (plus files reached through break-glass)."""
    conditions: list[ColumnElement[bool]] = []
    if scope.team_ids:
        conditions.append(CaseFile.team_id.in_(scope.team_ids))
    if scope.assignee_id is not None:
        conditions.append(CaseFile.assignee_id == scope.assignee_id)
    if extra:
        conditions.append(CaseFile.id.in_(extra))
    return or_(*conditions) if conditions else false()


def _live_grants(session: Session, actor: Actor) -> frozenset[int]:
    if not policy.can_break_glass(actor):
        return frozenset()
    return frozenset(
        session.execute(
            select(BreakGlassGrant.case_id).where(
                BreakGlassGrant.user_id == actor.user_id,
                BreakGlassGrant.expires_at > datetime.now(UTC),
            )
        ).scalars()
    )


def start_page(ctx: Context, actor: Actor) -> StartPage:
    role = str(actor.role)
    scope = policy.readable_cases(actor)
    inbox_count = None
    with ctx.uow() as uow:
        session = uow.session
        if policy.can_use_inbox(actor):
            inbox_count = int(
                session.execute(
                    select(func.count()).select_from(Document).where(Document.case_id.is_(None))
                ).scalar_one()
            )
        if scope.is_empty:
            return StartPage(role, inbox_count=inbox_count)
        readable = _in_scope(scope)
        team_files = session.execute(
            select(CaseFile)
            .where(readable, CaseFile.status == CaseStatus.OPEN)
            .options(*_case_options())
            .order_by(CaseFile.updated_at.desc(), CaseFile.id.desc())
            .limit(TEAM_FILES)
        ).scalars()
        # Break-glass files opened earlier are not on the desk: the grant opened one file
        # for one occasion, and it may have expired since.
        recent_rows = session.execute(
            select(CaseFile, RecentCaseView.viewed_at)
            .join(RecentCaseView, RecentCaseView.case_id == CaseFile.id)
            .where(RecentCaseView.user_id == actor.user_id, readable)
            .options(*_case_options())
            .order_by(RecentCaseView.viewed_at.desc(), CaseFile.id.desc())
            .limit(RECENT_FILES)
        ).all()
        since = session.execute(
            select(User.previous_login_at).where(User.id == actor.user_id)
        ).scalar()
        ready: list[ReadyDocument] = []
        if since is not None:
            rows = session.execute(
                select(Document, CaseFile.reference, Person.family_name, Person.given_names)
                .join(CaseFile, Document.case_id == CaseFile.id)
                .join(Person, CaseFile.person_id == Person.id)
                .where(readable, Document.ready_at > since)
                .order_by(Document.ready_at.desc(), Document.id.desc())
                .limit(READY_DOCUMENTS)
            ).all()
            ready = [
                ReadyDocument(
                    id=doc.id,
                    title=doc.title,
                    doc_type=doc.doc_type,
                    case_id=doc.case_id or 0,
                    reference=reference,
                    person=f"{family}, {given}" if given else family,
                    ready_at=doc.ready_at or since,
                )
                for doc, reference, family, given in rows
            ]
        page = StartPage(
            role,
            team_files=tuple(CaseView.of(c) for c in team_files),
            recent=tuple(RecentCase(CaseView.of(c), at) for c, at in recent_rows),
            ready=tuple(ready),
            since=since,
            inbox_count=inbox_count,
        )
        files = len({c.id for c in page.team_files} | {r.case.id for r in page.recent})
        audit.record(
            session, actor, "case.list", audit.Subject("case"), reason=f"{files} files (start)"
        )
        uow.commit()
    return page


def _remember_view(session: Session, actor: Actor, case_id: int) -> None:
    """Upsert: opening the same file twice, even at the same moment, keeps one row."""
    values = {"user_id": actor.user_id, "case_id": case_id, "viewed_at": datetime.now(UTC)}
    keys = ["user_id", "case_id"]
    if session.get_bind().dialect.name == "postgresql":
        pg = pg_insert(RecentCaseView).values(values)
        session.execute(
            pg.on_conflict_do_update(index_elements=keys, set_={"viewed_at": pg.excluded.viewed_at})
        )
    else:
        lite = sqlite_insert(RecentCaseView).values(values)
        session.execute(
            lite.on_conflict_do_update(
                index_elements=keys, set_={"viewed_at": lite.excluded.viewed_at}
            )
        )


def open_case_file(
    ctx: Context, actor: Actor, case_id: int, *, document_limit: int | None = None
) -> CaseFilePage:
    """The case page: file, documents, notes and permissions, recorded as one ``case.view``.

    ``document_limit`` keeps only the newest documents: a file of 500 letters opens over a
    weak line with the recent ones, and the rest is one click away.
    """
    with ctx.uow() as uow:
        session = uow.session
        case = session.execute(
            select(CaseFile)
            .where(CaseFile.id == case_id)
            .options(*_case_options(), selectinload(CaseFile.assignee))
        ).scalar()
        if case is None:
            raise NotFoundError(N_("Not found."))
        subject = audit.Subject("case", case.id, case.id, case.person_id)
        facts = policy.CaseFacts(
            team_id=case.team_id,
            assignee_id=case.assignee_id,
            status=case.status,
            break_glass=case.id in _live_grants(session, actor),
        )
        if not policy.can_read_case(actor, facts):
            deny(uow, actor, "case.view", subject)
        newest_first = (
            select(Document)
            .where(Document.case_id == case.id)
            .options(selectinload(Document.versions))
            .order_by(Document.received_on.desc(), Document.id.desc())
        )
        if document_limit is not None:
            newest_first = newest_first.limit(document_limit)
        documents = list(session.execute(newest_first).scalars())
        documents.reverse()
        total = len(documents)
        if document_limit is not None:  # always, so the page's query count stays constant
            total = session.execute(
                select(func.count()).select_from(Document).where(Document.case_id == case.id)
            ).scalar_one()
        may_read_notes = policy.can_read_notes(actor, facts)
        notes = notes_of(session, case.id) if may_read_notes else []
        may_edit = policy.can_edit_case_metadata(actor, facts)
        members = assignable_members(session, case.team_id) if may_edit else []
        assignee = case.assignee
        page = CaseFilePage(
            case=CaseView.of(case, tuple(DocumentView.of(d) for d in documents)),
            assignee=(assignee.display_name or assignee.username) if assignee else None,
            assignee_username=assignee.username if assignee else None,
            notes=tuple(notes),
            members=tuple(members),
            may_read_notes=may_read_notes,
            may_write_notes=policy.can_write_notes(actor, facts),
            may_edit=may_edit,
            may_upload=policy.can_add_document(actor, facts),
            break_glass=policy.reads_under_break_glass(actor, facts),
            document_total=total,
        )
        _remember_view(session, actor, case.id)
        # Last before the commit: the log's head row stays locked only for the commit.
        audit.record(session, actor, "case.view", subject, **read_flags(actor, facts))
        uow.commit()
    return page


def editable_document(ctx: Context, actor: Actor, document_id: int) -> DocumentView:
    """A document for its edit form: only for those who may change it (others: not found)."""
    with ctx.uow() as uow:
        session = uow.session
        document = session.execute(
            select(Document)
            .where(Document.id == document_id)
            .options(selectinload(Document.versions))
        ).scalar()
        if document is None:
            raise NotFoundError(N_("Not found."))
        case = session.get(CaseFile, document.case_id) if document.case_id else None
        subject = audit.Subject(
            "document", document.id, document.case_id, case.person_id if case else None, document.id
        )
        if case is None:
            allowed = policy.can_use_inbox(actor)
        else:
            facts = policy.CaseFacts(
                team_id=case.team_id,
                assignee_id=case.assignee_id,
                status=case.status,
                break_glass=case.id in _live_grants(session, actor),
            )
            allowed = policy.can_edit_case_metadata(actor, facts)
            if not allowed and policy.can_write_notes(actor, facts):
                raise ConflictError(N_("The case file is closed (zdA); it cannot be changed."))
        if not allowed:
            deny(uow, actor, "document.view", subject)
        audit.record(session, actor, "document.view", subject)
        view = DocumentView.of(document)
        uow.commit()
    return view


def _readable_files_of(
    session: Session, actor: Actor, person_ids: list[int]
) -> dict[int, list[CaseView]]:
    scope = policy.readable_cases(actor)
    grants = _live_grants(session, actor)
    files: dict[int, list[CaseView]] = {pid: [] for pid in person_ids}
    if not person_ids or (scope.is_empty and not grants):
        return files
    cases = session.execute(
        select(CaseFile)
        .where(CaseFile.person_id.in_(person_ids), _in_scope(scope, grants))
        .options(*_case_options())
        .order_by(CaseFile.status, CaseFile.updated_at.desc(), CaseFile.id)
    ).scalars()
    for case in cases:
        if len(files[case.person_id]) < PERSON_FILES:
            files[case.person_id].append(CaseView.of(case))
    return files


def find_persons(ctx: Context, actor: Actor, query: str, limit: int = 20) -> list[PersonHit]:
    """The person search with, for each person, the files the caller may open."""
    matches = persons.search_persons(ctx, actor, query, limit)
    with ctx.uow() as uow:
        files = _readable_files_of(uow.session, actor, [m.person.id for m in matches])
    return [PersonHit(m, tuple(files[m.person.id])) for m in matches]


def person_files(ctx: Context, actor: Actor, person_id: int) -> PersonFiles:
    with ctx.uow() as uow:
        session = uow.session
        subject = audit.Subject("person", person_id, person_id=person_id)
        if not policy.can_read_person_master_data(actor):
            deny(uow, actor, "person.view", subject)
        person = session.execute(
            select(Person).where(Person.id == person_id).options(selectinload(Person.aliases))
        ).scalar()
        if person is None:
            raise NotFoundError(N_("Not found."))
        files = _readable_files_of(session, actor, [person.id])[person.id]
        audit.record(session, actor, "person.view", subject, reason=f"{len(files)} files shown")
        view = PersonFiles(PersonView.of(person), tuple(files))
        uow.commit()
    return view


def shows_case_data(actor: Actor) -> bool:
    """Auditors and admins get a landing page without any personal data."""
    return actor.role not in {Role.AUDITOR, Role.ADMIN}


@dataclass(frozen=True, slots=True)
class FileLabel:
    reference: str
    person: str


@dataclass(frozen=True, slots=True)
class SearchPage:
    """Full-text hits with the Aktenzeichen and person of their files, for the search page."""

    result: SearchResult
    files: dict[int, FileLabel]


def search_files(ctx: Context, actor: Actor, request: SearchRequest) -> SearchPage:
    """``search_documents`` plus one query naming the hits' files (only files in reach)."""
    result = search_documents(ctx, actor, request)
    case_ids = {hit.case_id for hit in result.hits if hit.case_id is not None}
    if request.case_id is not None:
        case_ids.add(request.case_id)
    labels: dict[int, FileLabel] = {}
    if case_ids:
        with ctx.uow() as uow:
            session = uow.session
            scope = policy.readable_cases(actor)
            rows = session.execute(
                select(CaseFile.id, CaseFile.reference, Person.family_name, Person.given_names)
                .join(Person, CaseFile.person_id == Person.id)
                .where(CaseFile.id.in_(case_ids), _in_scope(scope, _live_grants(session, actor)))
            ).all()
        for case_id, reference, family, given in rows:
            labels[case_id] = FileLabel(reference, f"{family}, {given}" if given else family)
    return SearchPage(result, labels)
