"""The access log is complete, append-only and tamper-evident on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from ecase.config import Settings
from ecase.services.access import audit_log, users
from ecase.services.context import Context
from tests.conftest import StaffUser, context_on


def _activity(client: FlaskClient, user: StaffUser, n: int = 3) -> None:
    for i in range(n):
        person = client.post(
            "/api/v1/persons",
            json={"family_name": f"Tran {i}", "birth_date": None},
            headers=user.headers,
        ).json
        client.get(f"/api/v1/persons/{person['id']}", headers=user.headers)


@contextmanager
def _as_superuser(engine: Engine) -> Iterator[Connection]:
    """Direct table access as an attacker with database rights would have it."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        yield conn


def _seqs(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT seq FROM audit_events ORDER BY seq"))]


def test_untouched_log_verifies(ctx: Context, client: FlaskClient, caseworker: StaffUser) -> None:
    _activity(client, caseworker)
    audit_log.write_checkpoint(ctx)
    _activity(client, caseworker, 1)
    report = audit_log.verify_chain(ctx)
    assert report.ok, report.problem
    assert report.checked == len(_seqs(ctx.session_factory.kw["bind"]))


def test_edited_event_is_named(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, engine: Engine
) -> None:
    _activity(client, caseworker)
    victim = _seqs(engine)[3]
    with _as_superuser(engine) as conn:
        conn.execute(
            text("UPDATE audit_events SET username = 'someone' WHERE seq = :s"), {"s": victim}
        )
    report = audit_log.verify_chain(ctx)
    assert not report.ok
    assert report.broken_seq == victim
    assert "altered" in report.problem


def test_deleted_event_is_named(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, engine: Engine
) -> None:
    _activity(client, caseworker)
    victim = _seqs(engine)[2]
    with _as_superuser(engine) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": victim})
    report = audit_log.verify_chain(ctx)
    assert report.broken_seq == victim
    assert "missing" in report.problem


def test_reordered_events_are_detected(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, engine: Engine
) -> None:
    _activity(client, caseworker)
    a, b = _seqs(engine)[1:3]
    with _as_superuser(engine) as conn:
        conn.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = :a"), {"a": a})
        conn.execute(text("UPDATE audit_events SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
        conn.execute(text("UPDATE audit_events SET seq = :b WHERE seq = -1"), {"b": b})
    report = audit_log.verify_chain(ctx)
    assert not report.ok
    assert report.broken_seq == a


def test_truncated_tail_is_detected_by_the_signed_checkpoint(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, engine: Engine
) -> None:
    _activity(client, caseworker)
    tip = audit_log.write_checkpoint(ctx)
    assert tip is not None
    keep = tip - 3
    with _as_superuser(engine) as conn:
        row = conn.execute(text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": keep}).one()
        conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": keep})
        # A careful attacker also rewinds the head so that it matches the shortened chain.
        conn.execute(
            text("UPDATE audit_head SET last_seq = :s, last_hash = :h"), {"s": keep, "h": row[0]}
        )
    report = audit_log.verify_chain(ctx)
    assert not report.ok
    assert report.broken_seq == keep + 1
    assert "missing" in report.problem


def test_forged_checkpoint_is_refused(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, engine: Engine
) -> None:
    _activity(client, caseworker)
    audit_log.write_checkpoint(ctx)
    with _as_superuser(engine) as conn:
        conn.execute(text("UPDATE audit_checkpoints SET seq = seq + 100"))
    assert "invalid signature" in audit_log.verify_chain(ctx).problem


def test_retention_prunes_old_events_and_the_rest_still_verifies(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, engine: Engine
) -> None:
    _activity(client, caseworker)
    before = _seqs(engine)
    deleted = audit_log.prune(
        ctx, now=datetime.now(UTC) + timedelta(days=ctx.settings.audit_retention_days + 1)
    )
    after = _seqs(engine)
    assert deleted == len(before) - 1
    assert after == before[-1:]
    report = audit_log.verify_chain(ctx)
    assert report.ok, report.problem
    with _as_superuser(engine) as conn:
        conn.execute(text("DELETE FROM audit_checkpoints WHERE kind = 'retention'"))
    assert "no signed retention cut" in audit_log.verify_chain(ctx).problem


def test_a_wrong_key_cannot_sign(ctx: Context, client: FlaskClient, caseworker: StaffUser) -> None:
    _activity(client, caseworker)
    audit_log.write_checkpoint(ctx)
    other = replace(ctx, settings=replace(ctx.settings, audit_key="another-key-" * 4))
    assert "invalid signature" in audit_log.verify_chain(other).problem


@pytest.mark.postgres
def test_postgres_refuses_update_delete_and_truncate_of_the_log(
    postgres_engine: Engine, settings: Settings
) -> None:
    engine = postgres_engine
    ctx = context_on(settings, engine)
    users.create_team(ctx, None, "Guarded")
    for statement in (
        "UPDATE audit_events SET reason = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert audit_log.verify_chain(ctx).ok


def test_every_read_and_denial_is_logged(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    auditor = make_user("auditor", ())
    person = client.post(
        "/api/v1/persons",
        json={"family_name": "Nguyen", "birth_date": None},
        headers=caseworker.headers,
    ).json
    case = client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "subject": "x"},
        headers=caseworker.headers,
    ).json
    client.get(f"/api/v1/cases/{case['id']}", headers=caseworker.headers)
    client.get(f"/api/v1/cases/{case['id']}", headers=auditor.headers)
    events = client.get(f"/api/v1/audit?case={case['id']}", headers=auditor.headers).json["events"]
    seen = {(e["user"], e["action"], e["outcome"]) for e in events}
    assert (caseworker.username, "case.view", "allowed") in seen
    assert (caseworker.username, "case.create", "allowed") in seen
    assert (auditor.username, "case.view", "denied") in seen
    log_reads = client.get("/api/v1/audit?action=audit.read", headers=auditor.headers).json[
        "events"
    ]
    assert log_reads
    assert log_reads[0]["user"] == auditor.username


def test_supervisors_see_their_team_only_and_caseworkers_nothing(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    own = make_user("supervisor", ("Team A",))
    other = make_user("supervisor", ("Team B",))
    _activity(client, caseworker, 1)
    assert client.get("/api/v1/audit", headers=caseworker.headers).status_code == 404
    mine = client.get(f"/api/v1/audit?user={caseworker.username}", headers=own.headers).json[
        "events"
    ]
    theirs = client.get(f"/api/v1/audit?user={caseworker.username}", headers=other.headers).json[
        "events"
    ]
    assert mine
    assert theirs == []


def test_csv_export_is_logged_and_formula_safe(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    auditor = make_user("auditor", ())
    client.get("/api/v1/persons?q==cmd", headers=caseworker.headers)
    response = client.get("/api/v1/audit/export.csv?action=person.search", headers=auditor.headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows
    assert all(not value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())
    exports = client.get("/api/v1/audit?action=audit.export", headers=auditor.headers).json[
        "events"
    ]
    assert len(exports) == 1


def test_deleted_checkpoints_and_a_recomputed_chain_fail_once_a_checkpoint_is_due(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, engine: Engine
) -> None:
    _activity(client, caseworker)
    audit_log.write_checkpoint(ctx)
    with _as_superuser(engine) as conn:
        conn.execute(text("DELETE FROM audit_checkpoints"))
    later = datetime.now(UTC) + timedelta(hours=ctx.settings.audit_checkpoint_max_age_hours + 1)
    assert audit_log.verify_chain(ctx).ok  # within the allowance nothing is due yet
    assert "no signed checkpoint" in audit_log.verify_chain(ctx, now=later).problem


def test_deleting_the_newest_events_with_their_checkpoint_fails(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, engine: Engine
) -> None:
    hours = ctx.settings.audit_checkpoint_max_age_hours
    _activity(client, caseworker)
    old = audit_log.write_checkpoint(ctx, now=datetime.now(UTC) - timedelta(hours=hours + 1))
    _activity(client, caseworker)
    audit_log.write_checkpoint(ctx)
    assert audit_log.verify_chain(ctx).ok
    assert old is not None
    with _as_superuser(engine) as conn:
        row = conn.execute(text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": old}).one()
        conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": old})
        conn.execute(text("DELETE FROM audit_checkpoints WHERE seq > :s"), {"s": old})
        conn.execute(
            text("UPDATE audit_head SET last_seq = :s, last_hash = :h"), {"s": old, "h": row[0]}
        )
    assert "older than" in audit_log.verify_chain(ctx).problem
