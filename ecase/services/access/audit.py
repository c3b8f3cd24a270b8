"""Appends access-log events to the hash chain inside the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecase.domain.actor import Actor
from ecase.domain.enums import Outcome
from ecase.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class Subject:
    """What an event is about, by id; names and content stay out of the log's columns."""

    object_type: str = ""
    object_id: int | None = None
    case_id: int | None = None
    person_id: int | None = None
    document_id: int | None = None


def event_digest(event: AuditEvent) -> str:
    """The hash of an event's content and its predecessor's hash, as ``audit verify`` recomputes."""
    content = {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "user_id": event.user_id,
        "username": event.username,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "case_id": event.case_id,
        "person_id": event.person_id,
        "document_id": event.document_id,
        "outcome": str(event.outcome),
        "reason": event.reason,
        "flagged": event.flagged,
        "client_address": event.client_address,
        "prev_hash": event.prev_hash,
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    subject: Subject = Subject(),
    *,
    outcome: Outcome = Outcome.ALLOWED,
    reason: str = "",
    flagged: bool = False,
) -> AuditEvent:
    """Add one event; it commits or rolls back together with the access it describes."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar()
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
    event = AuditEvent(
        seq=head.last_seq + 1,
        at=datetime.now(UTC),
        user_id=actor.user_id if actor else None,
        username=actor.username if actor else "",
        role=str(actor.role) if actor else "",
        action=action,
        object_type=subject.object_type,
        object_id=subject.object_id,
        case_id=subject.case_id,
        person_id=subject.person_id,
        document_id=subject.document_id,
        outcome=outcome,
        reason=reason,
        flagged=flagged,
        client_address=(actor.client_address or "") if actor else "",
        prev_hash=head.last_hash,
    )
    event.hash = event_digest(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    session.add(event)
    session.flush()
    return event
