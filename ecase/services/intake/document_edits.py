"""Editing inbox documents before filing (split, rotate, merge): each edit adds a version.

The original scan (version 1) and every earlier version stay as they are: an edit stores
its result as a new content-addressed blob and a new ``DocumentVersion``, then sends the
document through the pipeline again so that text, pages and suggestions match the new
version. The PDF work happens in the sandboxed child (``ocr.edits``); the web process
only copies bytes. Only documents still in the Posteingang can be edited, and only by
those who work it.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

import ocr
import storage
from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.enums import DocumentStatus, PipelineStep
from ecase.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ServiceUnavailableError,
)
from ecase.domain.media import EXTENSIONS
from ecase.domain.messages import N_
from ecase.models import Document, DocumentVersion
from ecase.services.access import audit
from ecase.services.access.policy import deny
from ecase.services.casefile.views import DocumentView
from ecase.services.context import Context
from ocr.edits import INVALID_EDIT, ROTATIONS, merge_documents, rotate_pages, split_document

log = logging.getLogger(__name__)

PDF = "application/pdf"
COPY_CHUNK = 1024 * 1024
#: While a worker reads a version, a new one would be processed half: edit before or after.
EDITABLE = {DocumentStatus.READY, DocumentStatus.FAILED}


@dataclass(frozen=True, slots=True)
class EditResult:
    """The edited document, and the inbox document an edit created (the tail of a split)."""

    document: DocumentView
    created: DocumentView | None = None


@dataclass(frozen=True, slots=True)
class _Source:
    document_id: int
    version_number: int
    sha256: str
    media_type: str
    filename: str


def split_at(ctx: Context, actor: Actor, document_id: int, at_page: int) -> EditResult:
    """The document keeps the pages before ``at_page``; a new inbox document gets the rest."""
    if at_page < 2:  # page 1 would leave nothing behind
        raise InvalidInputError(
            N_("Choose the first page of the new document: page 2 or later."), field="at_page"
        )
    source = _editable(ctx, actor, "document.split", document_id, last_page=at_page)
    with _workdir() as work:
        original = _fetch(ctx, source, work / "source")
        head, tail = work / "head.pdf", work / "tail.pdf"
        _sandboxed(lambda: split_document(original, source.media_type, at_page, head, tail))
        blobs = [_store(ctx, head), _store(ctx, tail)]

    def record(session: Session, documents: list[Document]) -> EditResult:
        document = documents[0]
        head_blob, tail_blob = blobs
        _add_version(session, actor, document, source, head_blob)
        rest = Document(
            case_id=None,
            title=f"{document.title} (ab Seite {at_page})"[:300],
            doc_type=document.doc_type,
            received_on=document.received_on,
            source=document.source,
            status=DocumentStatus.RECEIVED,
            step=PipelineStep.EXTRACT,
            created_by_id=actor.user_id,
            scan_batch_id=document.scan_batch_id,
            versions=[
                DocumentVersion(
                    number=1,
                    sha256=tail_blob.sha256,
                    size=tail_blob.size,
                    media_type=PDF,
                    original_filename=_pdf_name(source.filename),
                    created_by_id=actor.user_id,
                )
            ],
        )
        session.add(rest)
        session.flush()
        _audit(session, actor, "document.split", document, f"at page {at_page} -> {rest.id}")
        audit.record(
            session, actor, "document.upload", _subject(rest), reason=f"split from {document.id}"
        )
        return EditResult(DocumentView.of(document), DocumentView.of(rest))

    return _commit(ctx, actor, [source], blobs, record)


def rotate(
    ctx: Context, actor: Actor, document_id: int, pages: Sequence[int], degrees: int
) -> EditResult:
    """Turn the given pages (1-based) clockwise by 90, 180 or 270 degrees."""
    if degrees not in ROTATIONS:
        raise InvalidInputError(
            N_("Pages can be turned by 90, 180 or 270 degrees."), field="degrees"
        )
    wanted = sorted(set(pages))
    if not wanted:
        raise InvalidInputError(N_("Choose at least one page to turn."), field="pages")
    if wanted[0] < 1:
        raise InvalidInputError(N_("Page numbers start at 1."), field="pages")
    source = _editable(ctx, actor, "document.rotate", document_id, last_page=wanted[-1])
    with _workdir() as work:
        original = _fetch(ctx, source, work / "source")
        out = work / "rotated.pdf"
        _sandboxed(lambda: rotate_pages(original, source.media_type, wanted, degrees, out))
        blobs = [_store(ctx, out)]

    def record(session: Session, documents: list[Document]) -> EditResult:
        document = documents[0]
        _add_version(session, actor, document, source, blobs[0])
        pages_text = ",".join(str(n) for n in wanted)
        _audit(session, actor, "document.rotate", document, f"pages {pages_text} by {degrees}")
        return EditResult(DocumentView.of(document))

    return _commit(ctx, actor, [source], blobs, record)


def merge(ctx: Context, actor: Actor, document_id: int, other_id: int) -> EditResult:
    """Append the other inbox document's pages to this one; the other is marked superseded."""
    if other_id == document_id:
        raise InvalidInputError(N_("A document cannot be merged with itself."), field="other_id")
    first = _editable(ctx, actor, "document.merge", document_id)
    second = _editable(ctx, actor, "document.merge", other_id, field="other_id")
    with _workdir() as work:
        one = _fetch(ctx, first, work / "first")
        two = _fetch(ctx, second, work / "second")
        out = work / "merged.pdf"
        _sandboxed(lambda: merge_documents((one, first.media_type), (two, second.media_type), out))
        blobs = [_store(ctx, out)]

    def record(session: Session, documents: list[Document]) -> EditResult:
        document, other = documents
        _add_version(session, actor, document, first, blobs[0])
        other.superseded_by_id = document.id
        _audit(session, actor, "document.merge", document, f"appended {other.id}")
        _audit(session, actor, "document.merge", other, f"merged into {document.id}")
        return EditResult(DocumentView.of(document))

    result = _commit(ctx, actor, [first, second], blobs, record)
    try:
        # A superseded document must not be found in the Posteingang's search scope any
        # more; its pages are part of the merged document, which is indexed anew.
        ctx.index.delete([second.document_id])
    except Exception:
        log.warning("could not remove superseded document %s from the index", other_id)
    return result


# ------------------------------------------------------------------------------ helpers


def _subject(document: Document) -> audit.Subject:
    return audit.Subject("document", document.id, document.case_id, None, document.id)


def _audit(session: Session, actor: Actor, action: str, document: Document, reason: str) -> None:
    audit.record(session, actor, action, _subject(document), reason=reason)


def _load(session: Session, document_id: int, *, lock: bool = False) -> Document | None:
    query = (
        select(Document).where(Document.id == document_id).options(selectinload(Document.versions))
    )
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar()


def _locked(session: Session, document_id: int) -> Document:
    document = _load(session, document_id, lock=True)
    if document is None:
        raise NotFoundError(N_("Not found."))
    return document


def _check_editable(document: Document, field: str | None) -> None:
    if document.case_id is not None:
        raise ConflictError(
            N_("The document is already filed; only documents in the inbox can be edited."),
            field=field,
        )
    if document.superseded_by_id is not None:
        raise ConflictError(
            f"The document was merged into document {document.superseded_by_id}.", field=field
        )
    if document.status not in EDITABLE:
        raise ConflictError(
            N_("The document is still being processed; please try again in a moment."), field=field
        )


def _editable(
    ctx: Context,
    actor: Actor,
    action: str,
    document_id: int,
    *,
    last_page: int | None = None,
    field: str | None = None,
) -> _Source:
    """Authorise and check the document; what the sandbox needs, read in a short transaction."""
    with ctx.uow() as uow:
        document = _load(uow.session, document_id)
        if document is None:
            raise NotFoundError(N_("Not found."), field=field)
        if not policy.can_use_inbox(actor):
            deny(uow, actor, action, _subject(document))
        _check_editable(document, field)
        pages = document.page_count
        if last_page is not None and pages is not None and last_page > pages:
            raise InvalidInputError(
                f"The document has {pages} page{'s' if pages != 1 else ''}; "
                f"page {last_page} does not exist.",
                field="at_page" if action == "document.split" else "pages",
            )
        version = document.current_version
        return _Source(
            document.id,
            version.number,
            version.sha256,
            version.media_type,
            version.original_filename,
        )


@contextmanager
def _workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ecase-edit-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _fetch(ctx: Context, source: _Source, stem: Path) -> Path:
    """Copy the current version's blob to a file for the sandbox, verified while read."""
    target = stem.with_suffix(EXTENSIONS.get(source.media_type, ".bin"))
    try:
        with ctx.blobs.open(source.sha256) as blob, target.open("wb") as out:
            shutil.copyfileobj(blob, out, COPY_CHUNK)
    except storage.StorageError as exc:
        log.warning("document %s: cannot read blob for an edit: %s", source.document_id, exc)
        raise ServiceUnavailableError(
            N_("The document store is not reachable; nothing was changed. Please try again later.")
        ) from exc
    return target


def _sandboxed(edit: Callable[[], object]) -> None:
    try:
        edit()
    except ocr.OcrEngineError as exc:
        log.warning("edit sandbox failed: %s", exc.detail or exc)
        raise ServiceUnavailableError(
            N_("The document could not be edited right now; nothing was changed. Please try again.")
        ) from exc
    except ocr.ExtractionError as exc:
        if exc.code == INVALID_EDIT:
            raise InvalidInputError(exc.message) from exc
        raise ConflictError(f"The document cannot be edited: {exc.message}") from exc


def _store(ctx: Context, path: Path) -> storage.BlobInfo:
    try:
        with path.open("rb") as stream:
            return ctx.blobs.put(stream)
    except storage.StorageError as exc:
        raise ServiceUnavailableError(
            N_("The document store is not reachable; nothing was changed. Please try again later.")
        ) from exc


def _pdf_name(filename: str) -> str:
    """The original name, with the suffix telling the truth about the new content."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return f"{stem or 'dokument'}.pdf"[:255]


def _add_version(
    session: Session, actor: Actor, document: Document, source: _Source, blob: storage.BlobInfo
) -> None:
    document.versions.append(
        DocumentVersion(
            number=source.version_number + 1,
            sha256=blob.sha256,
            size=blob.size,
            media_type=PDF,
            original_filename=_pdf_name(source.filename),
            created_by_id=actor.user_id,
        )
    )
    # The pipeline starts over for the new version: text, pages, index, page images.
    document.step = PipelineStep.EXTRACT
    document.status = DocumentStatus.RECEIVED
    document.status_reason = None
    document.failure_transient = False
    document.attempts = 0
    document.lease_until = None
    document.page_count = None
    document.ready_at = None
    document.pages_rendered = False


def _commit(
    ctx: Context,
    actor: Actor,
    sources: Sequence[_Source],
    blobs: Sequence[storage.BlobInfo],
    record: Callable[[Session, list[Document]], EditResult],
) -> EditResult:
    """Record the edit if nothing changed meanwhile; otherwise drop the new blobs again."""
    try:
        with ctx.uow() as uow:
            session = uow.session
            documents = [_locked(session, s.document_id) for s in sources]
            for document, source in zip(documents, sources, strict=True):
                _check_editable(document, None)
                if document.current_version.number != source.version_number:
                    raise ConflictError(
                        N_("Someone else edited the document meanwhile; please look at it again.")
                    )
            result = record(session, documents)
            session.flush()
            dispatch = [documents[0].id] + ([result.created.id] if result.created else [])
            for document_id in dispatch:
                uow.after_commit(_dispatcher(ctx, document_id))
            uow.commit()
    except Exception:
        _forget(ctx, [b.sha256 for b in blobs])
        raise
    return result


def _dispatcher(ctx: Context, document_id: int) -> Callable[[], None]:
    return lambda: ctx.dispatch_document(document_id)


def _forget(ctx: Context, keys: Sequence[str]) -> None:
    """Remove blobs of an edit that was not recorded, unless a version uses the same bytes."""
    try:
        with ctx.uow() as uow:
            used = set(
                uow.session.execute(
                    select(DocumentVersion.sha256).where(DocumentVersion.sha256.in_(keys))
                ).scalars()
            )
        for key in set(keys) - used:
            ctx.blobs.delete(key)
    except Exception:
        # ``ecase storage verify`` reports the orphan; the edit's own error is what matters.
        log.exception("could not remove blobs of an edit that failed")
