"""Page images for the document viewer: rendering them after ingest, and reading them back.

Rendering runs after a document is ready, so search and text never wait for it; a file
that cannot be rendered keeps its text (the viewer falls back to it). Reads of the images
are audited like any read of the document, but coalesced: one ``document.pages`` event per
user and document per ``PAGES_AUDIT_WINDOW``, because a viewer loads dozens of images per
minute and an event per image would drown the access log without saying more.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

import ocr
import storage
from ecase.domain.actor import Actor
from ecase.domain.enums import DocumentStatus
from ecase.domain.errors import NotFoundError, ServiceUnavailableError
from ecase.domain.media import EXTENSIONS
from ecase.domain.messages import N_
from ecase.models import AuditEvent, CaseFile, DerivedFile, Document, DocumentPage
from ecase.services.access import audit
from ecase.services.access.policy import deny
from ecase.services.casefile.documents import document_subject, load_readable
from ecase.services.casefile.views import ContentView, DocumentView
from ecase.services.context import Context
from search.analysis import chunks

log = logging.getLogger(__name__)

PAGES_AUDIT_WINDOW = timedelta(minutes=10)
#: Documents per reconciler run whose page images are rendered again; rendering a large
#: document takes a while, and the reconciler must not flood the queue after an outage.
RECONCILE_BATCH = 50
COPY_CHUNK = 1024 * 1024
IMAGE_MEDIA_TYPE = "image/webp"
THUMB_WIDTH = 180
#: Query words that are search operators, not words to highlight.
_OPERATORS = frozenset({"and", "or", "not"})


# ------------------------------------------------------------------------------ rendering


@dataclass(frozen=True, slots=True)
class RenderOutcome:
    document_id: int
    #: rendered | skipped (not ready, done already, no renderer) | failed (file) | retry
    status: str


def render_document_pages(ctx: Context, document_id: int) -> RenderOutcome:
    """Render and store the page images of a ready document; safe to call any number of times.

    A problem of the file (``ExtractionError``) or a damaged blob marks the document as
    rendered without images, so the reconciler does not retry what will never render; the
    viewer shows its text. Storage or engine outages leave it unrendered for the reconciler.
    """
    renderer = ctx.page_renderer
    found = None
    if renderer is not None:
        with ctx.uow() as uow:
            found = _render_source(uow.session, document_id)
    if renderer is None or found is None:
        return RenderOutcome(document_id, "skipped")
    version_id, sha256, suffix = found
    try:
        stored = _render_and_store(ctx, renderer, sha256, suffix)
    except (ocr.ExtractionError, storage.StorageError, OSError) as exc:
        return RenderOutcome(document_id, _failed(ctx, document_id, exc))
    recorded = _record(ctx, document_id, version_id, stored)
    return RenderOutcome(document_id, "rendered" if recorded else "skipped")


_Stored = list[tuple[ocr.RenderedPage, str, str]]


def _render_and_store(
    ctx: Context, renderer: ocr.PageRenderer, sha256: str, suffix: str
) -> _Stored:
    workdir = Path(tempfile.mkdtemp(prefix="ecase-render-"))
    try:
        source = workdir / f"source{suffix}"
        with ctx.blobs.open(sha256) as blob, source.open("wb") as out:
            shutil.copyfileobj(blob, out, COPY_CHUNK)
        rendered = renderer.render(source, workdir / "pages")
        return [(page, _put(ctx, page.image), _put(ctx, page.thumb)) for page in rendered.pages]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _failed(ctx: Context, document_id: int, exc: Exception) -> str:
    """Log the failure; permanent ones are marked so that nobody retries them."""
    if isinstance(exc, ocr.OcrEngineError):
        log.warning("document %s: page images not rendered (engine): %s", document_id, exc)
        return "retry"
    if isinstance(exc, ocr.ExtractionError):
        log.warning(
            "document %s: page images cannot be rendered (%s: %s)",
            document_id,
            exc.code,
            exc.detail or exc,
        )
    elif isinstance(exc, storage.BlobCorruptError | storage.BlobNotFoundError):
        # ``ecase storage verify`` reports the damaged blob; retrying cannot help
        log.error("document %s: page images cannot be rendered: %s", document_id, exc)
    else:
        log.warning("document %s: page images not rendered (storage): %s", document_id, exc)
        return "retry"
    _mark_rendered(ctx, document_id)
    return "failed"


def _record(ctx: Context, document_id: int, version_id: int, stored: _Stored) -> bool:
    with ctx.uow() as uow:
        document = uow.session.get(Document, document_id)
        if document is None or document.current_version.id != version_id:
            return False  # edited meanwhile: the new version gets its own images
        for page, image, thumb in stored:
            uow.session.execute(
                update(DocumentPage)
                .where(DocumentPage.version_id == version_id, DocumentPage.number == page.number)
                .values(
                    image_sha256=image, thumb_sha256=thumb, width=page.width, height=page.height
                )
            )
        document.pages_rendered = True
        uow.commit()
    return True


def _render_source(session: Session, document_id: int) -> tuple[int, str, str] | None:
    """What to render: the searchable PDF if OCR made one, else the original."""
    document = session.get(Document, document_id)
    if document is None or document.status is not DocumentStatus.READY or document.pages_rendered:
        return None
    version = document.current_version
    derived = session.execute(
        select(DerivedFile.sha256).where(
            DerivedFile.version_id == version.id, DerivedFile.kind == "searchable_pdf"
        )
    ).scalar()
    if derived is not None:
        return version.id, derived, ".pdf"
    return version.id, version.sha256, EXTENSIONS.get(version.media_type, ".bin")


def _put(ctx: Context, path: Path) -> str:
    with path.open("rb") as handle:
        return ctx.blobs.put(handle).sha256


def _mark_rendered(ctx: Context, document_id: int) -> None:
    try:
        with ctx.uow() as uow:
            uow.session.execute(
                update(Document).where(Document.id == document_id).values(pages_rendered=True)
            )
            uow.commit()
    except Exception:
        log.exception("document %s: could not record the rendering failure", document_id)


def unrendered_documents(ctx: Context, *, limit: int = RECONCILE_BATCH) -> list[int]:
    """Ready documents still without page images, oldest first, at most ``limit``."""
    with ctx.uow() as uow:
        return list(
            uow.session.execute(
                select(Document.id)
                .where(Document.status == DocumentStatus.READY, Document.pages_rendered.is_(False))
                .order_by(Document.id)
                .limit(limit)
            ).scalars()
        )


def reconcile_page_images(ctx: Context, *, limit: int = RECONCILE_BATCH) -> list[int]:
    """Hand ready documents without page images to the queue again (a bounded batch)."""
    ids = unrendered_documents(ctx, limit=limit)
    for document_id in ids:
        ctx.dispatch_page_images(document_id)
    return ids


# -------------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class HitBox:
    """A matching word on the page image, in percent of the page as displayed."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class ViewerPage:
    number: int
    source: str
    #: the page text cut into (text, is_hit) pieces, for marking hits without markup in data
    segments: tuple[tuple[str, bool], ...]
    width: int | None
    height: int | None
    has_image: bool
    boxes: tuple[HitBox, ...] = ()

    @property
    def hit(self) -> bool:
        return bool(self.boxes) or any(is_hit for _, is_hit in self.segments)

    @property
    def thumb_size(self) -> tuple[int, int] | None:
        if not (self.width and self.height):
            return None
        return THUMB_WIDTH, max(1, round(self.height * THUMB_WIDTH / self.width))


@dataclass(frozen=True, slots=True)
class ViewerView:
    document: DocumentView
    case_reference: str | None
    pages: tuple[ViewerPage, ...]
    pages_rendered: bool
    has_searchable_pdf: bool
    query: str

    @property
    def hit_pages(self) -> tuple[int, ...]:
        return tuple(page.number for page in self.pages if page.hit)


@dataclass(frozen=True, slots=True)
class PageInfo:
    number: int
    width: int | None
    height: int | None
    has_image: bool
    text_source: str


@dataclass(frozen=True, slots=True)
class PageImageView:
    sha256: str
    media_type: str


def query_terms(query: str) -> frozenset[str]:
    """The query's words as the index sees them (folded, stemmed), operators left out."""
    terms: set[str] = set()
    for chunk in chunks(query, stemmed=True):
        terms.update(term for term, _, _ in chunk.parts)
    return frozenset(terms - _OPERATORS)


def mark_text(text: str, terms: frozenset[str]) -> tuple[tuple[str, bool], ...]:
    """Cut ``text`` into pieces, flagging the words whose stem is one of ``terms``."""
    if not terms:
        return ((text, False),) if text else ()
    pieces: list[tuple[str, bool]] = []
    last = 0
    for chunk in chunks(text, stemmed=True):
        if any(term in terms for term, _, _ in chunk.parts):
            if chunk.start > last:
                pieces.append((text[last : chunk.start], False))
            pieces.append((text[chunk.start : chunk.end], True))
            last = chunk.end
    if last < len(text):
        pieces.append((text[last:], False))
    return tuple(pieces)


def hit_boxes(words: list[list[object]], terms: frozenset[str]) -> tuple[HitBox, ...]:
    """Boxes of the OCR words that match, from the ``words`` blob of one page."""
    boxes = []
    for word in words:
        text, *bbox = word
        if not isinstance(text, str) or len(bbox) != 4:
            continue
        if not query_terms(text) & terms:
            continue
        left, top, right, bottom = (float(v) for v in bbox)  # type: ignore[arg-type]  # JSON numbers
        boxes.append(
            HitBox(
                round(left * 100, 3),
                round(top * 100, 3),
                round((right - left) * 100, 3),
                round((bottom - top) * 100, 3),
            )
        )
    return tuple(boxes)


def get_viewer(ctx: Context, actor: Actor, document_id: int, query: str = "") -> ViewerView:
    """Everything the viewer page shows; an audited read of the document (``document.view``)."""
    query = " ".join(query.split())[:200]
    terms = query_terms(query) if query else frozenset()
    with ctx.uow() as uow:
        session = uow.session
        document, case, flags = load_readable(session, actor, document_id)
        if flags is None:
            deny(uow, actor, "document.view", document_subject(document, case))
        version_id = document.current_version.id
        derived = dict(
            session.execute(
                select(DerivedFile.kind, DerivedFile.sha256).where(
                    DerivedFile.version_id == version_id
                )
            ).all()
        )
        rows = session.execute(
            select(
                DocumentPage.number,
                DocumentPage.source,
                DocumentPage.text,
                DocumentPage.width,
                DocumentPage.height,
                DocumentPage.image_sha256,
            )
            .where(DocumentPage.version_id == version_id)
            .order_by(DocumentPage.number)
        ).all()
        audit.record(session, actor, "document.view", document_subject(document, case), **flags)
        view = DocumentView.of(document)
        reference = case.reference if isinstance(case, CaseFile) else None
        rendered = document.pages_rendered
        uow.commit()
    words = _words_by_page(ctx, derived.get("words")) if terms else {}
    pages = tuple(
        ViewerPage(
            number=number,
            source=source,
            segments=mark_text(text, terms),
            width=width,
            height=height,
            has_image=image is not None,
            boxes=hit_boxes(words.get(number, []), terms) if image is not None else (),
        )
        for number, source, text, width, height, image in rows
    )
    return ViewerView(view, reference, pages, rendered, "searchable_pdf" in derived, query)


def _words_by_page(ctx: Context, sha256: str | None) -> dict[int, list[list[object]]]:
    """The OCR word boxes per page; a missing or damaged blob only costs the highlights."""
    if sha256 is None:
        return {}
    try:
        with ctx.blobs.open(sha256) as stream:
            data = json.loads(stream.read())
        return {int(entry["page"]): list(entry["words"]) for entry in data}
    except (storage.StorageError, ValueError, KeyError, TypeError) as exc:
        log.warning("word boxes %s unreadable; highlighting text only: %s", sha256, exc)
        return {}


def list_pages(ctx: Context, actor: Actor, document_id: int) -> list[PageInfo]:
    """Page sizes and where their images are, for API clients; audited as ``document.view``."""
    with ctx.uow() as uow:
        document, case, flags = load_readable(uow.session, actor, document_id)
        if flags is None:
            deny(uow, actor, "document.view", document_subject(document, case))
        rows = uow.session.execute(
            select(
                DocumentPage.number,
                DocumentPage.width,
                DocumentPage.height,
                DocumentPage.image_sha256,
                DocumentPage.source,
            )
            .where(DocumentPage.version_id == document.current_version.id)
            .order_by(DocumentPage.number)
        ).all()
        audit.record(uow.session, actor, "document.view", document_subject(document, case), **flags)
        uow.commit()
    return [PageInfo(n, w, h, sha is not None, src) for n, w, h, sha, src in rows]


def read_page_image(
    ctx: Context, actor: Actor, document_id: int, number: int, *, thumb: bool = False
) -> tuple[PageImageView, bytes]:
    """One page image or thumbnail (small: read whole and verified before anything is sent)."""
    with ctx.uow() as uow:
        session = uow.session
        document, case, flags = load_readable(session, actor, document_id)
        subject = document_subject(document, case)
        if flags is None:
            deny(uow, actor, "document.pages", subject)
        column = DocumentPage.thumb_sha256 if thumb else DocumentPage.image_sha256
        sha256 = session.execute(
            select(column).where(
                DocumentPage.version_id == document.current_version.id,
                DocumentPage.number == number,
            )
        ).scalar()
        if sha256 is None:
            raise NotFoundError(N_("This page has no image (yet)."))
        try:
            with ctx.blobs.open(sha256) as stream:
                data = stream.read()
        except storage.StorageError as exc:
            log.error("page image %s of document %s unreadable: %s", sha256, document_id, exc)
            raise ServiceUnavailableError(
                N_("The page image cannot be read right now. Please try again later.")
            ) from exc
        if not _pages_read_recently(session, actor.user_id, document_id):
            audit.record(session, actor, "document.pages", subject, **flags)
        uow.commit()
    return PageImageView(sha256, IMAGE_MEDIA_TYPE), data


def _pages_read_recently(session: Session, user_id: int | None, document_id: int) -> bool:
    since = datetime.now(UTC) - PAGES_AUDIT_WINDOW
    return (
        session.execute(
            select(AuditEvent.seq)
            .where(
                AuditEvent.user_id == user_id,
                AuditEvent.action == "document.pages",
                AuditEvent.document_id == document_id,
                AuditEvent.at >= since,
            )
            .limit(1)
        ).first()
        is not None
    )


def open_searchable_pdf(
    ctx: Context, actor: Actor, document_id: int
) -> tuple[ContentView, BinaryIO]:
    """The derived searchable PDF, audited as a download; 404 when OCR made none."""
    with ctx.uow() as uow:
        session = uow.session
        document, case, flags = load_readable(session, actor, document_id)
        if flags is None:
            deny(uow, actor, "document.download", document_subject(document, case))
        derived = session.execute(
            select(DerivedFile).where(
                DerivedFile.version_id == document.current_version.id,
                DerivedFile.kind == "searchable_pdf",
            )
        ).scalar()
        if derived is None:
            raise NotFoundError(
                N_("This document has no separate searchable PDF; its original is searchable.")
            )
        try:
            stream = ctx.blobs.open(derived.sha256)
        except storage.StorageError as exc:
            raise ServiceUnavailableError(
                N_("The document store is not reachable. Please try again later.")
            ) from exc
        audit.record(session, actor, "document.download", document_subject(document, case), **flags)
        uow.commit()
        content = ContentView(
            document_id=document.id,
            sha256=derived.sha256,
            size=derived.size,
            media_type="application/pdf",
            filename=f"{document.title[:100] or 'dokument'}-durchsuchbar.pdf",
        )
    return content, stream


__all__ = [
    "HitBox",
    "PageImageView",
    "PageInfo",
    "RenderOutcome",
    "ViewerPage",
    "ViewerView",
    "get_viewer",
    "list_pages",
    "mark_text",
    "open_searchable_pdf",
    "query_terms",
    "read_page_image",
    "reconcile_page_images",
    "render_document_pages",
]
