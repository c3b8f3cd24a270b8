"""``audit verify`` stays intact while events are appended, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from ecase.services.access import audit, audit_log
from ecase.services.context import Context


def test_verify_under_write_traffic_is_intact(ctx: Context) -> None:
    stop = threading.Event()
    appended: list[int] = []
    errors: list[BaseException] = []

    def append() -> None:
        try:
            while not stop.is_set():
                with ctx.uow() as uow:
                    event = audit.record(uow.session, None, "test.live", audit.Subject("test"))
                    uow.commit()
                appended.append(event.seq)
        except BaseException as exc:  # reported by the assertion in the test thread
            errors.append(exc)

    with ctx.uow() as uow:
        audit.record(uow.session, None, "test.live", audit.Subject("test"))
        uow.commit()
    writer = threading.Thread(target=append, daemon=True)
    writer.start()
    try:
        reports = [audit_log.verify_chain(ctx) for _ in range(20)]
    finally:
        stop.set()
        writer.join()
    assert not errors
    assert appended
    assert all(report.ok for report in reports), [r.problem for r in reports if not r.ok]
    assert audit_log.verify_chain(ctx).ok
