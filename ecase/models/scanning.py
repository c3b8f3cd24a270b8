"""Scan batches: one file from the scanner, the documents split from it and its protocol.

A batch row is the scan protocol that BSI TR-RESISCAN asks for: who scanned, when, with
which scanner profile, the SHA-256 of the source file, how it was split, and who confirmed
the quality check. The source file itself is kept as an immutable blob.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecase.models.base import Base, UTCDateTime, utcnow
from ecase.models.users import User


class ScanBatch(Base):
    __tablename__ = "scan_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    # hotfolder | upload
    channel: Mapped[str] = mapped_column(String(20))
    # Scanner profile (the hot-folder subfolder) and what it declares about the scan.
    profile: Mapped[str] = mapped_column(String(60), default="")
    resolution_dpi: Mapped[int | None] = mapped_column()
    colour_mode: Mapped[str] = mapped_column(String(20), default="")
    # Metadata only: never used to build a path or a storage key.
    source_filename: Mapped[str] = mapped_column(String(255), default="")
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    source_size: Mapped[int] = mapped_column()
    media_type: Mapped[str] = mapped_column(String(100))
    page_count: Mapped[int | None] = mapped_column()
    # received -> splitting -> done | failed; the worker's lease works as for documents.
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scanned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An earlier batch with the same source SHA-256: flagged, never filed twice silently.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("scan_batches.id"))
    # JSON list of split decisions, one entry per page: what the page was and why.
    split_log: Mapped[str] = mapped_column(Text, default="[]")
    # Quality check (Sichtkontrolle): sampled | complete, by whom and when.
    quality_check: Mapped[str | None] = mapped_column(String(20))
    quality_checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    quality_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quality_note: Mapped[str] = mapped_column(String(2000), default="")

    scanned_by: Mapped[User | None] = relationship(foreign_keys=[scanned_by_id])
    quality_checked_by: Mapped[User | None] = relationship(foreign_keys=[quality_checked_by_id])
