"""Notfallzugriff: justified, time-limited, read-only access to one file, and its review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.enums import Outcome, Role
from ecase.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from ecase.domain.messages import N_
from ecase.models import BreakGlassGrant, CaseFile, User
from ecase.services.access import audit, passwords
from ecase.services.access.policy import deny, facts
from ecase.services.context import Context

MIN_REASON_CHARS = 30
MAX_REFERENCE = 64
MIN_REASON_WORDS = 5


@dataclass(frozen=True, slots=True)
class GrantView:
    id: int
    case_id: int
    username: str
    reason: str
    granted_at: datetime
    expires_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str

    @classmethod
    def of(cls, grant: BreakGlassGrant, username: str, reviewer: str | None) -> GrantView:
        return cls(
            grant.id,
            grant.case_id,
            username,
            grant.reason,
            grant.granted_at,
            grant.expires_at,
            reviewer,
            grant.reviewed_at,
            grant.review_note,
        )


def _check_reason(reason: str) -> str:
    text = " ".join(reason.split())
    if len(text) < MIN_REASON_CHARS or len(text.split()) < MIN_REASON_WORDS:
        raise InvalidInputError(
            N_("Please explain in at least one full sentence why you need this file now."),
            field="reason",
        )
    return text[:2000]


def open_break_glass(
    ctx: Context, actor: Actor, case_id: int, reason: str, password: str
) -> GrantView:
    """Grant the caller read access to one file for a limited time; flagged for review."""
    text = _check_reason(reason)
    with ctx.uow() as uow:
        session = uow.session
        case = session.get(CaseFile, case_id)
        if case is None:
            raise NotFoundError(N_("Not found."))
        subject = audit.Subject("case", case.id, case.id, case.person_id)
        if not policy.can_break_glass(actor):
            deny(uow, actor, "break_glass", subject)
        user = session.get(User, actor.user_id)
        if user is None or not passwords.verify_password(user.password_hash, password):
            session.rollback()
            audit.record(
                session,
                actor,
                "break_glass",
                subject,
                outcome=Outcome.DENIED,
                reason="wrong password",
            )
            uow.commit()
            raise PermissionDeniedError(N_("The password is not correct."), field="password")
        if policy.can_read_case_normally(actor, facts(session, actor, case)):
            raise ConflictError(
                N_("You already have access to this file; no emergency access needed.")
            )
        now = datetime.now(UTC)
        grant = BreakGlassGrant(
            user_id=actor.user_id,
            case_id=case.id,
            reason=text,
            granted_at=now,
            expires_at=now + timedelta(hours=ctx.settings.break_glass_hours),
        )
        session.add(grant)
        session.flush()
        audit.record(session, actor, "break_glass", subject, reason=text, flagged=True)
        view = GrantView.of(grant, actor.username, None)
        uow.commit()
    return view


def open_break_glass_by_reference(
    ctx: Context, actor: Actor, reference: str, reason: str, password: str
) -> GrantView:
    """The same grant for a file named by its Aktenzeichen, as staff know it from the paper.

    Naming a file that does not exist is refused like any unknown id; naming one that
    does is what break-glass is for, so the answer may say that it exists.
    """
    if not reference.strip() or len(reference) > MAX_REFERENCE:
        raise InvalidInputError(N_("Please type an Aktenzeichen."), field="reference")
    with ctx.uow() as uow:
        if not policy.can_break_glass(actor):
            deny(uow, actor, "break_glass", audit.Subject("case"))
        case_id = uow.session.execute(
            select(CaseFile.id).where(CaseFile.reference == ctx.scheme.normalise(reference))
        ).scalar()
    if case_id is None:
        raise NotFoundError(N_("There is no case file with this Aktenzeichen."), field="reference")
    return open_break_glass(ctx, actor, case_id, reason, password)


def live_grant_case_ids(ctx: Context, actor: Actor) -> frozenset[int]:
    with ctx.uow() as uow:
        return frozenset(
            uow.session.execute(
                select(BreakGlassGrant.case_id).where(
                    BreakGlassGrant.user_id == actor.user_id,
                    BreakGlassGrant.expires_at > datetime.now(UTC),
                )
            ).scalars()
        )


def list_grants(ctx: Context, actor: Actor, *, pending_only: bool = True) -> list[GrantView]:
    """Supervisors review their teams' files; auditors see every grant."""
    with ctx.uow() as uow:
        session = uow.session
        if actor.role not in {Role.SUPERVISOR, Role.AUDITOR}:
            deny(uow, actor, "break_glass.review_list", audit.Subject("break_glass"))
        query = select(BreakGlassGrant).order_by(BreakGlassGrant.granted_at.desc()).limit(500)
        if actor.role is Role.SUPERVISOR:
            query = query.where(
                BreakGlassGrant.case_id.in_(
                    select(CaseFile.id).where(CaseFile.team_id.in_(actor.team_ids))
                )
            )
        if pending_only:
            query = query.where(BreakGlassGrant.reviewed_at.is_(None))
        grants = list(session.execute(query).scalars())
        names: dict[int, str] = {
            row.id: row.username for row in session.execute(select(User.id, User.username))
        }
        audit.record(
            session,
            actor,
            "break_glass.review_list",
            audit.Subject("break_glass"),
            reason=f"{len(grants)} grants",
        )
        views = [
            GrantView.of(g, names.get(g.user_id, "?"), names.get(g.reviewed_by_id or 0))
            for g in grants
        ]
        uow.commit()
    return views


def review_grant(ctx: Context, actor: Actor, grant_id: int, note: str) -> GrantView:
    """The supervisor of the file's team signs the emergency access off (once)."""
    with ctx.uow() as uow:
        session = uow.session
        grant = session.get(BreakGlassGrant, grant_id)
        case = session.get(CaseFile, grant.case_id) if grant else None
        if grant is None or case is None:
            raise NotFoundError(N_("Not found."))
        subject = audit.Subject("break_glass", grant.id, case.id, case.person_id)
        if actor.role is not Role.SUPERVISOR or case.team_id not in actor.team_ids:
            deny(uow, actor, "break_glass.review", subject)
        if grant.user_id == actor.user_id:
            raise ConflictError(
                N_("Emergency access cannot be signed off by the person who used it.")
            )
        if grant.reviewed_at is not None:
            raise ConflictError(N_("This emergency access has already been reviewed."))
        grant.reviewed_by_id = actor.user_id
        grant.reviewed_at = datetime.now(UTC)
        grant.review_note = " ".join(note.split())[:2000]
        audit.record(session, actor, "break_glass.review", subject, reason=grant.review_note)
        user = session.get(User, grant.user_id)
        view = GrantView.of(grant, user.username if user else "?", actor.username)
        uow.commit()
    return view
