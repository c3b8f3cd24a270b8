"""Taking documents in (streamed to checksummed storage, then recorded) and handing them out."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

import ocr
import storage
from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.enums import CaseStatus, DocumentSource, DocumentStatus, PipelineStep
from ecase.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnsupportedMediaError,
)
from ecase.domain.media import ACCEPTED_MESSAGE, SNIFF_BYTES
from ecase.domain.messages import N_
from ecase.models import CaseFile, Document, DocumentPage, DocumentVersion
from ecase.services.access import audit
from ecase.services.access.policy import ReadFlags, deny, facts, read_flags
from ecase.services.casefile.views import ContentView, DocumentView, PageTextView
from ecase.services.context import Context
from ecase.services.streams import PrefixedReader, read_head

TOO_LARGE = N_("The file is larger than the limit of %(limit)s MiB.")

log = logging.getLogger(__name__)
MAX_TITLE = 300
MAX_DOC_TYPE = 60


@dataclass(frozen=True, slots=True)
class Upload:
    stream: IO[bytes]
    filename: str
    title: str | None = None
    doc_type: str | None = None
    source: DocumentSource = DocumentSource.UPLOAD
    received_on: date | None = None


def _title_for(upload: Upload) -> str:
    title = " ".join((upload.title or "").split())
    if not title:
        stem = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
        title = " ".join(stem.replace("_", " ").split()) or "Dokument"
    if len(title) > MAX_TITLE:
        raise InvalidInputError(N_("The title is too long (300 characters)."), field="title")
    return title


def store_original(ctx: Context, stream: IO[bytes]) -> tuple[storage.BlobInfo, str]:
    """Sniff the type from the first bytes, then stream everything to checksummed storage."""
    head = read_head(stream, SNIFF_BYTES)
    if not head:
        raise InvalidInputError(N_("The file is empty."), field="file")
    try:
        # One sniffer for upload and extraction, so nothing is accepted that cannot be read.
        media_type = ocr.detect_media_type(head)
    except ocr.UnsupportedMediaTypeError as exc:
        raise UnsupportedMediaError(ACCEPTED_MESSAGE) from exc
    try:
        blob = ctx.blobs.put(
            io.BufferedReader(PrefixedReader(head, stream)),
            max_size=ctx.settings.max_upload_bytes,
        )
    except storage.BlobTooLargeError as exc:
        limit_mib = ctx.settings.max_upload_bytes / (1024 * 1024)
        raise PayloadTooLargeError(TOO_LARGE % {"limit": f"{limit_mib:g}"}) from exc
    except storage.StorageError as exc:
        log.warning("storage failed during upload: %s", exc)
        raise ServiceUnavailableError(
            N_("The document store is not reachable; nothing was saved. Please try again later.")
        ) from exc
    return blob, media_type


def new_document(
    *,
    case_id: int | None,
    title: str,
    doc_type: str,
    received_on: date | None,
    source: DocumentSource,
    created_by_id: int | None,
    blob: storage.BlobInfo,
    media_type: str,
    filename: str,
) -> Document:
    """A new document row with its first version over a stored blob (uploads and scans)."""
    return Document(
        case_id=case_id,
        title=title,
        doc_type=doc_type,
        received_on=received_on or datetime.now(UTC).date(),
        source=source,
        status=DocumentStatus.RECEIVED,
        created_by_id=created_by_id,
        versions=[
            DocumentVersion(
                number=1,
                sha256=blob.sha256,
                size=blob.size,
                media_type=media_type,
                original_filename=filename[:255],
                created_by_id=created_by_id,
            )
        ],
    )


def add_document(ctx: Context, actor: Actor, case_id: int | None, upload: Upload) -> DocumentView:
    """Store the bytes first, then the rows; a failure in between removes the new blob again."""
    title = _title_for(upload)
    doc_type = " ".join((upload.doc_type or "").split())
    if len(doc_type) > MAX_DOC_TYPE:
        raise InvalidInputError(
            N_("The document type is too long (60 characters)."), field="doc_type"
        )
    subject = audit.Subject("case" if case_id else "inbox", case_id, case_id)

    # Authorise before reading the body, and without holding a transaction open while
    # hundreds of megabytes stream to storage.
    with ctx.uow() as uow:
        case = uow.session.get(CaseFile, case_id) if case_id is not None else None
        if case_id is not None and case is None:
            raise NotFoundError(N_("Not found."))
        case_facts = facts(uow.session, actor, case) if case is not None else None
        if (
            case_facts is not None
            and case_facts.status is not CaseStatus.OPEN
            and policy.can_read_case_normally(actor, case_facts)
        ):
            raise ConflictError(N_("The case file is closed (zdA); documents cannot be added."))
        allowed = (
            policy.can_add_document(actor, case_facts)
            if case_facts
            else policy.can_use_inbox(actor)
        )
        if not allowed:
            deny(uow, actor, "document.upload", subject)

    blob, media_type = store_original(ctx, upload.stream)

    try:
        with ctx.uow() as uow:
            session = uow.session
            if case_id is not None:
                case = session.get(CaseFile, case_id)
                if case is None:
                    raise NotFoundError(N_("Not found."))
                if case.status is not CaseStatus.OPEN:
                    raise ConflictError(N_("The case file is closed; documents cannot be added."))
            document = new_document(
                case_id=case_id,
                title=title,
                doc_type=doc_type,
                received_on=upload.received_on,
                source=upload.source,
                created_by_id=actor.user_id,
                blob=blob,
                media_type=media_type,
                filename=upload.filename,
            )
            session.add(document)
            session.flush()
            audit.record(
                session,
                actor,
                "document.upload",
                audit.Subject(
                    "document", document.id, case_id, case.person_id if case else None, document.id
                ),
            )
            view = DocumentView.of(document)
            uow.after_commit(lambda: ctx.dispatch_document(document.id))
            uow.commit()
    except Exception:
        _forget_unreferenced_blob(ctx, blob.sha256)
        raise
    return view


def _forget_unreferenced_blob(ctx: Context, sha256: str) -> None:
    """Undo the blob write of a failed upload unless an earlier version holds the same bytes."""
    try:
        with ctx.uow() as uow:
            used = uow.session.execute(
                select(DocumentVersion.id).where(DocumentVersion.sha256 == sha256).limit(1)
            ).first()
        if used is None:
            ctx.blobs.delete(sha256)
    except Exception:
        # ``ecase storage verify`` reports the orphan; the upload error is what matters here.
        log.exception("could not remove blob %s of a failed upload", sha256)


def load_readable(
    uow_session: Session, actor: Actor, document_id: int
) -> tuple[Document, CaseFile | None, ReadFlags | None]:
    """The document, its file, and the audit flags of reading it (``None``: not allowed)."""
    document = uow_session.execute(
        select(Document).where(Document.id == document_id).options(selectinload(Document.versions))
    ).scalar()
    if document is None:
        raise NotFoundError(N_("Not found."))
    case = uow_session.get(CaseFile, document.case_id) if document.case_id else None
    if case is None:
        return document, None, {} if policy.can_use_inbox(actor) else None
    case_facts = facts(uow_session, actor, case)
    if not policy.can_read_case(actor, case_facts):
        return document, case, None
    return document, case, read_flags(actor, case_facts)


def document_subject(document: Document, case: CaseFile | None) -> audit.Subject:
    return audit.Subject(
        "document", document.id, document.case_id, case.person_id if case else None, document.id
    )


def get_document(ctx: Context, actor: Actor, document_id: int) -> DocumentView:
    with ctx.uow() as uow:
        document, case, flags = load_readable(uow.session, actor, document_id)
        if flags is None:
            deny(uow, actor, "document.view", document_subject(document, case))
        audit.record(uow.session, actor, "document.view", document_subject(document, case), **flags)
        view = DocumentView.of(document)
        uow.commit()
    return view


def open_content(ctx: Context, actor: Actor, document_id: int) -> tuple[ContentView, BinaryIO]:
    """The original bytes of the current version, verified against their SHA-256 as they stream."""
    with ctx.uow() as uow:
        document, case, flags = load_readable(uow.session, actor, document_id)
        if flags is None:
            deny(uow, actor, "document.download", document_subject(document, case))
        version = document.current_version
        try:
            stream = ctx.blobs.open(version.sha256)
        except storage.BlobNotFoundError as exc:
            log.error("blob %s of document %s is missing", version.sha256, document.id)
            raise ServiceUnavailableError(
                N_("The stored original is missing; the administrators have been notified.")
            ) from exc
        except storage.StorageError as exc:
            raise ServiceUnavailableError(
                N_("The document store is not reachable. Please try again later.")
            ) from exc
        audit.record(
            uow.session, actor, "document.download", document_subject(document, case), **flags
        )
        uow.commit()
    content = ContentView(
        document_id=document.id,
        sha256=version.sha256,
        size=version.size,
        media_type=version.media_type,
        filename=version.original_filename or f"dokument-{document.id}",
    )
    return content, stream


def get_text(
    ctx: Context, actor: Actor, document_id: int
) -> tuple[DocumentView, list[PageTextView]]:
    """The extracted text, page by page; empty until the pipeline has run."""
    with ctx.uow() as uow:
        document, case, flags = load_readable(uow.session, actor, document_id)
        if flags is None:
            deny(uow, actor, "document.text", document_subject(document, case))
        pages = uow.session.execute(
            select(DocumentPage)
            .where(DocumentPage.version_id == document.current_version.id)
            .order_by(DocumentPage.number)
        ).scalars()
        views = [PageTextView(p.number, p.text, p.source, p.rotation, p.confidence) for p in pages]
        audit.record(uow.session, actor, "document.text", document_subject(document, case), **flags)
        view = DocumentView.of(document)
        uow.commit()
    return view, views


@dataclass(frozen=True, slots=True)
class DocumentChanges:
    """A partial update of a document's metadata: ``None`` leaves a field as it is."""

    title: str | None = None
    doc_type: str | None = None
    received_on: date | None = None


# The earliest receipt date accepted: older paper files are taken over, but not from before.
EARLIEST_RECEIPT = date(1950, 1, 1)


def _checked_changes(changes: DocumentChanges) -> DocumentChanges:
    title = None
    if changes.title is not None:
        title = " ".join(changes.title.split())
        if not title:
            raise InvalidInputError(N_("A document needs a title."), field="title")
        if len(title) > MAX_TITLE:
            raise InvalidInputError(N_("The title is too long (300 characters)."), field="title")
    doc_type = None
    if changes.doc_type is not None:
        doc_type = " ".join(changes.doc_type.split())
        if len(doc_type) > MAX_DOC_TYPE:
            raise InvalidInputError(
                N_("The document type is too long (60 characters)."), field="doc_type"
            )
    received = changes.received_on
    if received is not None and received > datetime.now(UTC).date():
        raise InvalidInputError(N_("The date of receipt lies in the future."), field="received_on")
    if received is not None and received < EARLIEST_RECEIPT:
        raise InvalidInputError(N_("The date of receipt is before 1950."), field="received_on")
    return DocumentChanges(title, doc_type, received)


def update_document(
    ctx: Context, actor: Actor, document_id: int, changes: DocumentChanges
) -> DocumentView:
    """Correct title, type or date of receipt; the index learns them after the commit."""
    clean = _checked_changes(changes)
    with ctx.uow() as uow:
        session = uow.session
        document, case, _flags = load_readable(session, actor, document_id)
        subject = document_subject(document, case)
        if case is None:
            allowed = policy.can_use_inbox(actor)
        else:
            case_facts = facts(session, actor, case)
            allowed = policy.can_edit_case_metadata(actor, case_facts)
            if not allowed and policy.can_write_notes(actor, case_facts):
                raise ConflictError(N_("The case file is closed (zdA); it cannot be changed."))
        if not allowed:
            deny(uow, actor, "document.update", subject)
        changed = [
            name
            for name in ("title", "doc_type", "received_on")
            if (value := getattr(clean, name)) is not None and value != getattr(document, name)
        ]
        for name in changed:
            setattr(document, name, getattr(clean, name))
        if changed and document.step == PipelineStep.DONE:
            # Title, type and date are indexed fields: the index step runs again.
            document.step = PipelineStep.INDEX
            document.status = DocumentStatus.PROCESSING
            uow.after_commit(lambda: ctx.dispatch_document(document.id))
        session.flush()
        if changed:
            audit.record(session, actor, "document.update", subject, reason=", ".join(changed))
        view = DocumentView.of(document)
        uow.commit()
    return view
