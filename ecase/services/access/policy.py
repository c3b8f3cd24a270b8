"""The policy's glue to the database: what a file looks like to an actor, and refusals that are
recorded in the access log, then reported as "not found"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NoReturn, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.enums import Outcome
from ecase.domain.errors import NotFoundError
from ecase.domain.messages import N_
from ecase.models import BreakGlassGrant, CaseFile
from ecase.services.access import audit
from ecase.services.uow import UnitOfWork


def deny(uow: UnitOfWork, actor: Actor, action: str, subject: audit.Subject) -> NoReturn:
    """Commit the denied event on its own (nothing else happened), then hide the object."""
    uow.session.rollback()
    audit.record(uow.session, actor, action, subject, outcome=Outcome.DENIED)
    uow.commit()
    raise NotFoundError(N_("Not found."))


class ReadFlags(TypedDict, total=False):
    flagged: bool
    reason: str


def read_flags(actor: Actor, case: policy.CaseFacts) -> ReadFlags:
    """Audit fields for a read: reads under break-glass are flagged for review."""
    if policy.reads_under_break_glass(actor, case):
        return {"flagged": True, "reason": "break-glass"}
    return {}


def facts(session: Session, actor: Actor, case: CaseFile) -> policy.CaseFacts:
    """The policy's view of a file for this actor, including a live break-glass grant."""
    grant = session.execute(
        select(BreakGlassGrant.id).where(
            BreakGlassGrant.user_id == actor.user_id,
            BreakGlassGrant.case_id == case.id,
            BreakGlassGrant.expires_at > datetime.now(UTC),
        )
    ).first()
    return policy.CaseFacts(
        team_id=case.team_id,
        assignee_id=case.assignee_id,
        status=case.status,
        break_glass=grant is not None,
    )
