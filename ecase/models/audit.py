"""The access log: append-only events, each hash-chained to the one before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Enum, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ecase.domain.enums import Outcome
from ecase.models.base import Base, UTCDateTime

# SQLite only auto-manages INTEGER keys; PostgreSQL gets 64 bits for a log that never shrinks.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    """One access to personal data (or to the log itself); never updated, never deleted."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(20), default="")
    object_id: Mapped[int | None] = mapped_column()
    case_id: Mapped[int | None] = mapped_column(index=True)
    person_id: Mapped[int | None] = mapped_column(index=True)
    document_id: Mapped[int | None] = mapped_column()
    outcome: Mapped[Outcome] = mapped_column(
        Enum(Outcome, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e])
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    flagged: Mapped[bool] = mapped_column(default=False)
    client_address: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """A single row holding the chain's tip; locking it serialises appends across nodes."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(_SEQ, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed statement about the chain: its tip at a moment, or where retention cut it.

    The HMAC key lives outside the database, so whoever can write the tables still cannot
    forge a checkpoint; a truncated tail or a pruned head shows up against them.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # tip | retention
    seq: Mapped[int] = mapped_column(_SEQ, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    mac: Mapped[str] = mapped_column(String(64))
