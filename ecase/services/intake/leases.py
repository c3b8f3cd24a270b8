"""Leases on queued work (documents, scan batches): one worker at a time, a bounded number of tries.

The queue may deliver a job twice or lose it; the row's lease says who works on it now and
its attempt count says how often it was tried. Documents and scan batches share the rules,
so a change to them (the back-off, the limit, how a lease is taken) is made once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, update

from ecase.models import Document, ScanBatch
from ecase.services.context import Context

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5

Leased = type[Document] | type[ScanBatch]


def backoff_seconds(attempt: int) -> float:
    """5 s, 10 s, 20 s, 40 s ...: outages of a minute or two heal without anyone noticing."""
    return float(min(5.0 * 2 ** max(attempt - 1, 0), 600.0))


def lease_is_free(model: Leased, now: datetime) -> ColumnElement[bool]:
    """No worker holds a live lease: never taken, released, or run out."""
    return or_(model.lease_until.is_(None), model.lease_until < now)


def claim(
    ctx: Context,
    model: Leased,
    item_id: int,
    *,
    unfinished: ColumnElement[bool],
    values: dict[str, Any],
    returning: tuple[Any, ...] = (),
) -> tuple[int, tuple[Any, ...]] | None:
    """Take the lease and count the attempt in one statement, so two workers never both win.

    Returns the attempt number and the ``returning`` columns, or ``None`` when the work is
    finished or another worker holds a live lease.
    """
    now = datetime.now(UTC)
    lease = timedelta(seconds=ctx.settings.job_lease_seconds)
    with ctx.uow() as uow:
        row = uow.session.execute(
            update(model)
            .where(model.id == item_id, unfinished, lease_is_free(model, now))
            .values(**values, lease_until=now + lease, attempts=model.attempts + 1)
            .returning(model.attempts, *returning)
        ).first()
        uow.commit()
    if row is None:
        return None
    return int(row[0]), tuple(row[1:])


def release(ctx: Context, model: Leased, item_id: int) -> None:
    """Give the lease back so the retry need not wait for it to run out."""
    try:
        with ctx.uow() as uow:
            uow.session.execute(update(model).where(model.id == item_id).values(lease_until=None))
            uow.commit()
    except Exception:
        log.warning(
            "%s %s: could not release the lease; it expires by itself", model.__tablename__, item_id
        )


def exhausted(attempt: int) -> bool:
    """The last allowed attempt failed: the caller records the failure instead of retrying."""
    return attempt >= MAX_ATTEMPTS
