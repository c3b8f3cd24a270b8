"""Reading, checking and pruning the access log; appending lives in ``services.audit``.

Verification recomputes every event's hash from its content and its predecessor's hash,
checks that sequence numbers are gap-free, and compares the chain with HMAC-signed
checkpoints, so edits, deletions, reordering and a truncated tail are all detected.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.orm import Session

from ecase.domain.actor import Actor
from ecase.domain.enums import Role
from ecase.domain.errors import InvalidInputError
from ecase.models import AuditCheckpoint, AuditEvent, AuditHead, CaseFile, team_members
from ecase.services.access import audit
from ecase.services.access.policy import deny
from ecase.services.context import Context

BATCH = 2000
MAX_EVENTS = 1000


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    first_seq: int | None
    last_seq: int | None
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def _mac(ctx: Context, kind: str, seq: int, digest: str) -> str:
    message = f"{kind}:{seq}:{digest}".encode()
    return hmac.new(ctx.settings.audit_key.encode(), message, hashlib.sha256).hexdigest()


def _valid(ctx: Context, checkpoint: AuditCheckpoint) -> bool:
    expected = _mac(ctx, checkpoint.kind, checkpoint.seq, checkpoint.hash)
    return hmac.compare_digest(expected, checkpoint.mac)


def write_checkpoint(ctx: Context, *, now: datetime | None = None) -> int | None:
    """Sign the current tip; returns its sequence number (``None`` for an empty log)."""
    with ctx.uow() as uow:
        head = uow.session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar()
        if head is None or head.last_seq == 0:
            return None
        uow.session.add(
            AuditCheckpoint(
                kind="tip",
                seq=head.last_seq,
                hash=head.last_hash,
                at=now or datetime.now(UTC),
                mac=_mac(ctx, "tip", head.last_seq, head.last_hash),
            )
        )
        uow.commit()
        return head.last_seq


@contextmanager
def _own_session(ctx: Context) -> Iterator[Session]:
    with ctx.uow() as uow:
        yield uow.session


def _events(
    open_session: Callable[[], AbstractContextManager[Session]], upto: int
) -> Iterator[AuditEvent]:
    """Events ``1..upto`` in order, in batches; each batch detached from its session."""
    after = 0
    while after < upto:
        with open_session() as session:
            batch = list(
                session.execute(
                    select(AuditEvent)
                    .where(AuditEvent.seq > after, AuditEvent.seq <= upto)
                    .order_by(AuditEvent.seq)
                    .limit(BATCH)
                ).scalars()
            )
            session.expunge_all()
        if not batch:
            return
        yield from batch
        after = batch[-1].seq


def _link_problem(
    previous: AuditEvent | None, event: AuditEvent, retention: dict[int, str], tips: dict[int, str]
) -> str:
    """Why ``event`` does not continue the chain after ``previous``; empty if it does."""
    if previous is None:
        checks = [
            (
                event.seq == 1 and event.prev_hash != audit.GENESIS_HASH,
                "event 1 does not start the chain",
            ),
            (
                event.seq != 1 and retention.get(event.seq) != event.prev_hash,
                f"events before {event.seq} are missing (no signed retention cut)",
            ),
        ]
    else:
        checks = [
            (event.seq != previous.seq + 1, f"event {previous.seq + 1} is missing"),
            (
                event.prev_hash != previous.hash,
                f"event {event.seq} does not link to its predecessor",
            ),
        ]
    checks += [
        (audit.event_digest(event) != event.hash, f"event {event.seq} was altered"),
        (
            event.seq in tips and tips[event.seq] != event.hash,
            f"event {event.seq} differs from its signed checkpoint",
        ),
    ]
    return next((message for failed, message in checks if failed), "")


@dataclass(frozen=True, slots=True)
class _State:
    """What verification compares the events with, read in one transaction."""

    checkpoints: list[AuditCheckpoint]
    head: AuditHead | None
    total: int
    beyond_head: int
    oldest_at: datetime | None


def _read_state(session: Session) -> _State:
    # Checkpoints and head first: every event up to the head is committed by then, and
    # events appended afterwards lie beyond it and are left to the next run.
    checkpoints = list(
        session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).scalars()
    )
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar()
    upto = head.last_seq if head else 0
    total = session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.seq <= upto)
    ).scalar_one()
    beyond = session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.seq > upto)
    ).scalar_one()
    oldest_at = session.execute(select(func.min(AuditEvent.at))).scalar()
    session.expunge_all()
    return _State(checkpoints, head, total, beyond, oldest_at)


def verify_chain(
    ctx: Context,
    progress: Callable[[int, int | None], None] | None = None,
    *,
    now: datetime | None = None,
) -> ChainReport:
    """Check the chain up to the head it read; the report names the first thing that fails.

    On PostgreSQL everything is read in one REPEATABLE READ transaction (one snapshot).
    On SQLite a long read transaction would hold the write lock (``BEGIN IMMEDIATE``), so
    the head is read first and only events up to it are checked, in short batches.
    """
    with ctx.uow() as uow:
        session = uow.session
        snapshot = session.get_bind().dialect.name == "postgresql"
        if snapshot:
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        state = _read_state(session)
        upto = state.head.last_seq if state.head else 0
        if snapshot:
            return _check(ctx, state, _events(lambda: nullcontext(session), upto), progress, now)
    return _check(ctx, state, _events(lambda: _own_session(ctx), upto), progress, now)


def _check(
    ctx: Context,
    state: _State,
    events: Iterator[AuditEvent],
    progress: Callable[[int, int | None], None] | None,
    now: datetime | None,
) -> ChainReport:
    checkpoints, head, total = state.checkpoints, state.head, state.total
    forged = next((c for c in checkpoints if not _valid(ctx, c)), None)
    if forged is not None:
        return ChainReport(
            0, None, None, forged.seq, f"checkpoint {forged.id} has an invalid signature"
        )
    retention = {c.seq: c.hash for c in checkpoints if c.kind == "retention"}
    tips = {c.seq: c.hash for c in checkpoints if c.kind == "tip"}

    checked, first, previous = 0, None, None
    for event in events:
        first = event.seq if first is None else first
        problem = _link_problem(previous, event, retention, tips)
        if problem:
            broken = previous.seq + 1 if previous and "missing" in problem else event.seq
            return ChainReport(checked, first, previous.seq if previous else None, broken, problem)
        previous = event
        checked += 1
        if progress and checked % 500 == 0:
            progress(checked, total)
    if progress:
        progress(checked, total)
    last = previous.seq if previous else 0
    newest_tip = max(tips, default=0)
    tail = ""
    if last < newest_tip:
        tail = f"events after {last} are missing (signed tip: {newest_tip})"
    elif head is not None and (head.last_seq, head.last_hash) != (
        last,
        previous.hash if previous else audit.GENESIS_HASH,
    ):
        tail = f"the chain ends at {last} but its head says {head.last_seq}"
    elif state.beyond_head:
        tail = f"{state.beyond_head} events lie beyond the head at {last}"
    else:
        tail = _stale(ctx, state, last, now or datetime.now(UTC))
    if tail:
        return ChainReport(checked, first, last, last + 1, tail)
    return ChainReport(checked, first, last or None)


def _stale(ctx: Context, state: _State, last: int, now: datetime) -> str:
    """Why the signed checkpoints are missing or older than the hourly job allows; or empty.

    The job signs the tip every hour even when nothing happened, so once the log is older
    than the allowance a younger checkpoint must exist; a missing one means the checkpoints
    (and perhaps the newest events with them) were deleted, or the job does not run.
    """
    if last == 0:
        return ""
    allowed = timedelta(hours=ctx.settings.audit_checkpoint_max_age_hours)
    since = min(
        [c.at for c in state.checkpoints] + ([state.oldest_at] if state.oldest_at else []),
        default=now,
    )
    if now - since <= allowed:
        return ""  # a young installation: the first checkpoint is not due yet
    newest = max(state.checkpoints, key=lambda c: c.at, default=None)
    hours = ctx.settings.audit_checkpoint_max_age_hours
    if newest is None:
        return f"no signed checkpoint exists, though events are older than {hours} h"
    if now - newest.at > allowed:
        return (
            f"the newest signed checkpoint ({newest.at.isoformat(timespec='seconds')}, "
            f"event {newest.seq}) is older than {hours} h"
        )
    return ""


def prune(ctx: Context, *, now: datetime | None = None) -> int:
    """Delete events older than the retention period, leaving a signed cut where they were."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=ctx.settings.audit_retention_days)
    with ctx.uow() as uow:
        session = uow.session
        last_old = session.execute(
            select(func.max(AuditEvent.seq)).where(AuditEvent.at < cutoff)
        ).scalar()
        newest = session.execute(select(func.max(AuditEvent.seq))).scalar()
        if last_old is None or newest is None:
            return 0
        # The newest event always stays: it is what the head and the next event link to.
        last_old = min(last_old, newest - 1)
        keep_from = session.execute(
            select(AuditEvent).where(AuditEvent.seq > last_old).order_by(AuditEvent.seq).limit(1)
        ).scalar()
        if keep_from is None or last_old < 1:
            return 0
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            session.execute(text("SET LOCAL ecase.audit_retention = 'on'"))
        session.add(
            AuditCheckpoint(
                kind="retention",
                seq=keep_from.seq,
                hash=keep_from.prev_hash,
                at=datetime.now(UTC),
                mac=_mac(ctx, "retention", keep_from.seq, keep_from.prev_hash),
            )
        )
        result = session.execute(delete(AuditEvent).where(AuditEvent.seq <= last_old))
        deleted = getattr(result, "rowcount", 0)
        uow.commit()
    return int(deleted or 0)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    case_id: int | None = None
    username: str | None = None
    person_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    flagged: bool | None = None
    limit: int = 200
    offset: int = 0


def _team_scope(actor: Actor):  # type: ignore[no-untyped-def]  # returns a SQL condition
    """Supervisors see events on their teams' files and by their teams' members."""
    team_cases = select(CaseFile.id).where(CaseFile.team_id.in_(actor.team_ids))
    team_users = select(team_members.c.user_id).where(team_members.c.team_id.in_(actor.team_ids))
    return or_(AuditEvent.case_id.in_(team_cases), AuditEvent.user_id.in_(team_users))


def list_events(ctx: Context, actor: Actor, query: AuditFilter) -> list[AuditEvent]:
    """The log as the caller may read it; reading it is itself an event."""
    if not 1 <= query.limit <= MAX_EVENTS or query.offset < 0:
        raise InvalidInputError(f"limit must be 1..{MAX_EVENTS}.", field="limit")
    with ctx.uow() as uow:
        session = uow.session
        if actor.role not in {Role.AUDITOR, Role.SUPERVISOR}:
            deny(uow, actor, "audit.read", audit.Subject("audit"))
        statement = select(AuditEvent)
        if actor.role is Role.SUPERVISOR:
            statement = statement.where(_team_scope(actor))
        if query.case_id is not None:
            statement = statement.where(AuditEvent.case_id == query.case_id)
        if query.person_id is not None:
            statement = statement.where(AuditEvent.person_id == query.person_id)
        if query.username:
            statement = statement.where(AuditEvent.username == query.username.strip().lower())
        if query.action:
            statement = statement.where(AuditEvent.action == query.action)
        if query.since is not None:
            statement = statement.where(AuditEvent.at >= query.since)
        if query.until is not None:
            statement = statement.where(AuditEvent.at < query.until)
        if query.flagged is not None:
            statement = statement.where(AuditEvent.flagged == query.flagged)
        events = list(
            session.execute(
                statement.order_by(AuditEvent.seq.desc()).limit(query.limit).offset(query.offset)
            ).scalars()
        )
        audit.record(
            session,
            actor,
            "audit.read",
            audit.Subject("audit", case_id=query.case_id, person_id=query.person_id),
            reason=f"{len(events)} events",
        )
        uow.commit()
    return events


CSV_FIELDS = (
    "seq",
    "at",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "person_id",
    "document_id",
    "outcome",
    "flagged",
    "reason",
    "client_address",
    "hash",
)


def spreadsheet_cell(text_value: str) -> str:
    """Defuse formula injection: an exported cell must never execute when opened."""
    if text_value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + text_value
    return text_value


def export_csv(ctx: Context, actor: Actor, query: AuditFilter) -> str:
    events = list_events(ctx, actor, query)
    with ctx.uow() as uow:
        audit.record(
            uow.session,
            actor,
            "audit.export",
            audit.Subject("audit"),
            reason=f"{len(events)} events as CSV",
        )
        uow.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for event in events:
        row = []
        for name in CSV_FIELDS:
            value = getattr(event, name)
            text_value = (
                value.isoformat()
                if isinstance(value, datetime)
                else ""
                if value is None
                else str(value)
            )
            row.append(spreadsheet_cell(text_value))
        writer.writerow(row)
    return out.getvalue()


OFFICE_TZ = ZoneInfo("Europe/Berlin")
WORKING_HOURS = (6, 20)  # local time; reads outside count as unusual
MASS_OPENING_PER_HOUR = 40
READ_ACTIONS = ("case.view", "document.view", "document.download", "document.text", "person.view")


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # break-glass | mass-opening | outside-hours
    username: str
    at: datetime
    count: int
    detail: str


def unusual_access(ctx: Context, actor: Actor, since: datetime) -> list[Finding]:
    """What a supervisor or the data protection officer should look at first."""
    events = list_events(ctx, actor, AuditFilter(since=since, limit=MAX_EVENTS))
    findings: list[Finding] = []
    per_hour: dict[tuple[str, datetime], int] = {}
    for event in events:
        if event.action == "break_glass" and event.outcome == "allowed":
            findings.append(
                Finding(
                    "break-glass",
                    event.username,
                    event.at,
                    1,
                    f"case {event.case_id}: {event.reason}",
                )
            )
        if event.action not in READ_ACTIONS or event.outcome != "allowed":
            continue
        local = event.at.astimezone(OFFICE_TZ)
        if local.weekday() >= 5 or not WORKING_HOURS[0] <= local.hour < WORKING_HOURS[1]:
            findings.append(
                Finding(
                    "outside-hours",
                    event.username,
                    event.at,
                    1,
                    f"{event.action} case {event.case_id}",
                )
            )
        hour = local.replace(minute=0, second=0, microsecond=0)
        per_hour[(event.username, hour)] = per_hour.get((event.username, hour), 0) + 1
    findings.extend(
        Finding("mass-opening", user, hour, count, f"{count} reads within one hour")
        for (user, hour), count in per_hour.items()
        if count >= MASS_OPENING_PER_HOUR
    )
    return sorted(findings, key=lambda f: f.at, reverse=True)
