"""Refusals: recorded in the access log, then reported as "not found"."""

from __future__ import annotations

from typing import NoReturn, TypedDict

from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.enums import Outcome
from ecase.domain.errors import NotFoundError
from ecase.domain.messages import N_
from ecase.services import audit
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
