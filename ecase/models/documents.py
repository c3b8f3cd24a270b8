"""Documents and their immutable versions, each pointing to a content-addressed blob."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecase.domain.enums import DocumentSource, DocumentStatus
from ecase.models.base import Base, UTCDateTime, utcnow


def _values(enum: type[DocumentSource] | type[DocumentStatus]) -> list[str]:
    return [member.value for member in enum]


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL while the document waits in the Posteingang for a clerk to file it.
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_files.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    doc_type: Mapped[str] = mapped_column(String(60), default="")
    received_on: Mapped[date] = mapped_column(Date)
    source: Mapped[DocumentSource] = mapped_column(
        Enum(DocumentSource, native_enum=False, length=20, values_callable=_values)
    )
    status: Mapped[DocumentStatus] = mapped_column(
        Enum(DocumentStatus, native_enum=False, length=20, values_callable=_values),
        default=DocumentStatus.RECEIVED,
        index=True,
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    page_count: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number", cascade="all"
    )

    @property
    def current_version(self) -> DocumentVersion:
        return self.versions[-1]


class DocumentVersion(Base):
    """An immutable state of a document; edits add versions, nothing rewrites one."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column()
    media_type: Mapped[str] = mapped_column(String(100))
    # Metadata only: never used to build a path or a storage key.
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    document: Mapped[Document] = relationship(back_populates="versions")
