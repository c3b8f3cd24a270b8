"""Refusals: recorded in the access log, then reported as "not found"."""

from __future__ import annotations

from typing import NoReturn

from ecase.domain.actor import Actor
from ecase.domain.enums import Outcome
from ecase.domain.errors import NotFoundError
from ecase.services import audit
from ecase.services.uow import UnitOfWork


def deny(uow: UnitOfWork, actor: Actor, action: str, subject: audit.Subject) -> NoReturn:
    """Commit the denied event on its own (nothing else happened), then hide the object."""
    uow.session.rollback()
    audit.record(uow.session, actor, action, subject, outcome=Outcome.DENIED)
    uow.commit()
    raise NotFoundError("Not found.")
