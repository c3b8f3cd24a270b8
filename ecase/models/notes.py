"""Aktenvermerke: notes written into a case file, never edited, only added to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecase.models.base import Base, UTCDateTime, utcnow
from ecase.models.users import User


class CaseNote(Base):
    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_files.id", ondelete="RESTRICT"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class RecentCaseView(Base):
    """The files a user opened last, for the start page; one row per user and file."""

    __tablename__ = "recent_case_views"
    # "Last opened by me": one user's rows in time order, without sorting all of them.
    __table_args__ = (Index("ix_recent_case_views_user_id_viewed_at", "user_id", "viewed_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_files.id", ondelete="CASCADE"), primary_key=True
    )
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
