"""Case files (Akten), the file plan they sit under and the Aktenzeichen counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecase.domain.enums import CaseStatus
from ecase.models.base import Base, UTCDateTime, utcnow
from ecase.models.people import Person
from ecase.models.users import Team, User


class FilePlanEntry(Base):
    """One entry of the Aktenplan; its code is the first part of every Aktenzeichen."""

    __tablename__ = "file_plan_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class ReferenceCounter(Base):
    """The last running number handed out per file plan code and year."""

    __tablename__ = "reference_counters"

    plan_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


class CaseFile(Base):
    __tablename__ = "case_files"
    # The start page's "open files of my team, last changed first" reads this index in
    # order and stops after a page; team_id alone made it sort thousands of files.
    __table_args__ = (
        Index("ix_case_files_team_id_status_updated_at", "team_id", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT"), index=True
    )
    file_plan_id: Mapped[int] = mapped_column(ForeignKey("file_plan_entries.id"))
    subject: Mapped[str] = mapped_column(String(500))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(
        Enum(
            CaseStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        ),
        default=CaseStatus.OPEN,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    person: Mapped[Person] = relationship()
    file_plan: Mapped[FilePlanEntry] = relationship()
    team: Mapped[Team | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])


class BreakGlassGrant(Base):
    """Notfallzugriff: read-only, time-limited access to one file outside one's own reach."""

    __tablename__ = "break_glass_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id"), index=True)
    reason: Mapped[str] = mapped_column(String(2000))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(String(2000), default="")
