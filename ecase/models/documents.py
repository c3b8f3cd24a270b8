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
    # The pipeline's own bookkeeping, read by the reconciler: which step is next, how often
    # it was tried, whether a failure may heal by itself, and until when a worker holds it.
    step: Mapped[str] = mapped_column(String(20), default="extract")
    attempts: Mapped[int] = mapped_column(default=0)
    failure_transient: Mapped[bool] = mapped_column(default=False)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    page_count: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the pipeline finished it: the start page shows what became ready since a visit.
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Page images for the viewer are made after the document is ready, so search does not
    # wait for them; the reconciler renders what is missing.
    pages_rendered: Mapped[bool] = mapped_column(default=False)
    # Posteingang: the scan batch it came from, an earlier document with the same bytes,
    # and a warning for the clerk (e.g. a separator sheet naming an unknown Aktenzeichen).
    scan_batch_id: Mapped[int | None] = mapped_column(ForeignKey("scan_batches.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    intake_warning: Mapped[str | None] = mapped_column(Text)
    # Merged into another inbox document (its pages now live there as a new version): such a
    # document leaves the Posteingang but stays on record with its own original.
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

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


class DocumentPage(Base):
    """The text of one page of a version, from its text layer or from OCR."""

    __tablename__ = "document_pages"
    __table_args__ = (UniqueConstraint("version_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20))  # text-layer | ocr
    rotation: Mapped[int] = mapped_column(default=0)
    confidence: Mapped[float | None] = mapped_column()
    # Screen-resolution image and thumbnail of the page as displayed (blobs), with its size
    # so the viewer can lay out 300 pages before any image has loaded.
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    thumb_sha256: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()


class DerivedFile(Base):
    """A file made from a version (searchable PDF, word boxes); the original stays untouched."""

    __tablename__ = "derived_files"
    __table_args__ = (UniqueConstraint("version_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column()
    media_type: Mapped[str] = mapped_column(String(100))
