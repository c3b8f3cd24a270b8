"""The ingest pipeline: ordered, idempotent steps that make a stored document readable and findable.

The database row is the record of what still has to happen (``Document.step``); the queue
only delivers. Every step can be run again after a crash without duplicating anything:
extraction is skipped once a version has pages, indexing is an upsert.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session, selectinload

import storage
from ecase.domain.enums import DocumentStatus, PipelineStep
from ecase.domain.errors import ServiceUnavailableError
from ecase.domain.media import EXTENSIONS
from ecase.domain.messages import N_
from ecase.models import (
    CaseFile,
    DerivedFile,
    Document,
    DocumentPage,
    DocumentVersion,
    Person,
)
from ecase.services.context import Context
from ecase.services.intake import leases
from ocr import ExtractionError, ExtractionResult, OcrEngineError
from search import IndexedDocument, SearchError

log = logging.getLogger(__name__)

COPY_CHUNK = 1024 * 1024


SERVICE_UNAVAILABLE = N_(
    "A service needed for processing (storage, database, search index or OCR engine) "
    "was unavailable; processing resumes automatically once it is back "
    "(ecase reconcile)."
)
INTERNAL_ERROR = N_("Internal error while processing; the administrators can see the log.")


@dataclass(frozen=True, slots=True)
class Outcome:
    document_id: int
    status: str
    retry_in: float | None = None


def _claim(ctx: Context, document_id: int) -> tuple[str, int] | None:
    """Take the lease on a document; ``None`` if it is finished or another worker holds it."""
    claimed = leases.claim(
        ctx,
        Document,
        document_id,
        unfinished=and_(
            Document.step != PipelineStep.DONE, Document.status != DocumentStatus.FAILED
        ),
        values={"status": DocumentStatus.PROCESSING},
        returning=(Document.step,),
    )
    if claimed is None:
        return None
    attempt, (step,) = claimed
    return str(step), attempt


def process_document(ctx: Context, document_id: int) -> Outcome:
    """Run the remaining steps for one document; safe to call any number of times."""
    claim = _claim(ctx, document_id)
    if claim is None:
        return Outcome(document_id, "skipped")
    step, attempt = claim
    try:
        if step == PipelineStep.EXTRACT:
            _extract(ctx, document_id)
        _index(ctx, document_id)
    except OcrEngineError as exc:
        # The engine (not the file) failed: a missing tesseract or language pack heals.
        return _transient(ctx, document_id, attempt, exc)
    except ExtractionError as exc:
        _fail(ctx, document_id, str(exc), transient=False)
        return Outcome(document_id, DocumentStatus.FAILED.value)
    except (storage.StorageError, SearchError, ServiceUnavailableError, OSError) as exc:
        return _transient(ctx, document_id, attempt, exc)
    except Exception:
        log.exception("document %s: unexpected error in the pipeline", document_id)
        _fail(ctx, document_id, INTERNAL_ERROR, transient=False)
        return Outcome(document_id, DocumentStatus.FAILED.value)
    try:  # page images come after: search and text do not wait for them
        ctx.dispatch_page_images(document_id)
    except Exception:  # the reconciler renders what was not enqueued
        log.warning("document %s: could not enqueue page images", document_id, exc_info=True)
    return Outcome(document_id, DocumentStatus.READY.value)


def _transient(ctx: Context, document_id: int, attempt: int, exc: Exception) -> Outcome:
    log.warning("document %s: attempt %s failed transiently: %s", document_id, attempt, exc)
    if leases.exhausted(attempt):
        _fail(
            ctx,
            document_id,
            SERVICE_UNAVAILABLE,
            transient=True,
        )
        return Outcome(document_id, DocumentStatus.FAILED.value)
    leases.release(ctx, Document, document_id)
    return Outcome(
        document_id, DocumentStatus.PROCESSING.value, retry_in=leases.backoff_seconds(attempt)
    )


def _fail(ctx: Context, document_id: int, reason: str, *, transient: bool) -> None:
    try:
        with ctx.uow() as uow:
            uow.session.execute(
                update(Document)
                .where(Document.id == document_id)
                .values(
                    status=DocumentStatus.FAILED,
                    status_reason=reason[:2000],
                    failure_transient=transient,
                    lease_until=None,
                )
            )
            uow.commit()
    except Exception:
        # The lease runs out and the reconciler brings the document back; nothing is lost.
        log.exception("document %s: could not record the failure", document_id)


def _current_version(session: Session, document_id: int) -> DocumentVersion:
    return session.execute(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document_id)
        .order_by(DocumentVersion.number.desc())
        .limit(1)
    ).scalar_one()


def _extract(ctx: Context, document_id: int) -> None:
    with ctx.uow() as uow:
        version = _current_version(uow.session, document_id)
        version_id, sha256, suffix = (
            version.id,
            version.sha256,
            EXTENSIONS.get(version.media_type, ".bin"),
        )
        has_pages = uow.session.execute(
            select(DocumentPage.id).where(DocumentPage.version_id == version_id).limit(1)
        ).first()
    if has_pages is None:
        workdir = Path(tempfile.mkdtemp(prefix="ecase-extract-"))
        try:
            source = workdir / f"original{suffix}"
            with ctx.blobs.open(sha256) as blob, source.open("wb") as out:
                shutil.copyfileobj(blob, out, COPY_CHUNK)
            result = ctx.extractor.extract(source, workdir / "derived")
            derived = _store_derived(ctx, result)
            _record_extraction(ctx, document_id, version_id, result, derived)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    else:
        with ctx.uow() as uow:
            uow.session.execute(
                update(Document).where(Document.id == document_id).values(step=PipelineStep.INDEX)
            )
            uow.commit()


def _store_derived(
    ctx: Context, result: ExtractionResult
) -> list[tuple[str, storage.BlobInfo, str]]:
    derived: list[tuple[str, storage.BlobInfo, str]] = []
    if result.searchable_pdf is not None:
        with result.searchable_pdf.open("rb") as handle:
            derived.append(("searchable_pdf", ctx.blobs.put(handle), "application/pdf"))
    words = [
        {"page": page.number, "words": [[w.text, *w.bbox] for w in page.words]}
        for page in result.pages
        if page.words
    ]
    if words:
        payload = json.dumps(words, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        derived.append(("words", ctx.blobs.put(io.BytesIO(payload)), "application/json"))
    return derived


def _record_extraction(
    ctx: Context,
    document_id: int,
    version_id: int,
    result: ExtractionResult,
    derived: list[tuple[str, storage.BlobInfo, str]],
) -> None:
    with ctx.uow() as uow:
        session = uow.session
        if session.execute(
            select(DocumentPage.id).where(DocumentPage.version_id == version_id).limit(1)
        ).first():
            return  # another run got here first; its derived blobs are the ones on record
        session.add_all(
            DocumentPage(
                version_id=version_id,
                number=page.number,
                text=page.text,
                source=page.source,
                rotation=page.rotation,
                confidence=page.confidence,
            )
            for page in result.pages
        )
        session.add_all(
            DerivedFile(
                version_id=version_id,
                kind=kind,
                sha256=blob.sha256,
                size=blob.size,
                media_type=media,
            )
            for kind, blob, media in derived
        )
        session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(page_count=result.page_count, step=PipelineStep.INDEX)
        )
        uow.commit()


def indexed_document(session: Session, document_id: int) -> IndexedDocument | None:
    """What the search index should hold for a document, built from the database alone."""
    entries = indexed_documents(session, [document_id])
    return entries[0] if entries else None


def indexed_documents(session: Session, document_ids: list[int]) -> list[IndexedDocument]:
    """Index entries for many documents in a constant number of queries, ordered by id."""
    documents = list(
        session.execute(
            select(Document)
            .where(Document.id.in_(document_ids))
            .options(selectinload(Document.versions))
            .order_by(Document.id)
        ).scalars()
    )
    version_ids = [d.current_version.id for d in documents]
    texts: dict[int, list[str]] = {v: [] for v in version_ids}
    for version_id, text in session.execute(
        select(DocumentPage.version_id, DocumentPage.text)
        .where(DocumentPage.version_id.in_(version_ids))
        .order_by(DocumentPage.version_id, DocumentPage.number)
    ):
        texts[version_id].append(text)
    case_ids = {d.case_id for d in documents if d.case_id is not None}
    cases = {
        c.id: c
        for c in session.execute(
            select(CaseFile)
            .where(CaseFile.id.in_(case_ids))
            .options(selectinload(CaseFile.person).selectinload(Person.aliases))
        ).scalars()
    }
    entries = []
    for document in documents:
        case = cases.get(document.case_id) if document.case_id is not None else None
        names: tuple[str, ...] = ()
        if case is not None:
            person = case.person
            full = f"{person.given_names} {person.family_name}".strip()
            names = (full, *(alias.name for alias in person.aliases))
        entries.append(
            IndexedDocument(
                document_id=document.id,
                case_id=document.case_id,
                team_id=case.team_id if case else None,
                title=document.title,
                text="\f".join(texts[document.current_version.id]),
                reference=case.reference if case else "",
                person_names=names,
                doc_type=document.doc_type,
                received=document.received_on,
            )
        )
    return entries


def iter_index_entries(
    ctx: Context, *, after: int | None, batch: int = 500
) -> Iterator[IndexedDocument]:
    """Every finished document's index entry, ascending by id, for ``ecase reindex``."""
    last = after or 0
    while True:
        with ctx.uow() as uow:
            ids = list(
                uow.session.execute(
                    select(Document.id)
                    .where(
                        Document.id > last,
                        Document.step == PipelineStep.DONE,
                        Document.superseded_by_id.is_(None),
                    )
                    .order_by(Document.id)
                    .limit(batch)
                ).scalars()
            )
            if not ids:
                return
            entries = indexed_documents(uow.session, ids)
        yield from entries
        last = ids[-1]


def count_indexable(ctx: Context, *, after: int | None = None) -> int:
    with ctx.uow() as uow:
        return int(
            uow.session.execute(
                select(func.count())
                .select_from(Document)
                .where(
                    Document.step == PipelineStep.DONE,
                    Document.id > (after or 0),
                    Document.superseded_by_id.is_(None),
                )
            ).scalar_one()
        )


def _index(ctx: Context, document_id: int) -> None:
    with ctx.uow() as uow:
        entry = indexed_document(uow.session, document_id)
    if entry is None:
        return
    ctx.index.index([entry])
    with ctx.uow() as uow:
        uow.session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(
                step=PipelineStep.DONE,
                status=DocumentStatus.READY,
                ready_at=datetime.now(UTC),
                status_reason=None,
                failure_transient=False,
                lease_until=None,
            )
        )
        uow.commit()


def pending_documents(ctx: Context, *, include_transient_failures: bool) -> list[int]:
    """Documents whose work was lost: not done, and no worker holds a live lease on them."""
    now = datetime.now(UTC)
    conditions = [
        Document.step != PipelineStep.DONE,
        Document.status != DocumentStatus.FAILED,
        leases.lease_is_free(Document, now),
    ]
    with ctx.uow() as uow:
        ids = list(uow.session.execute(select(Document.id).where(*conditions)).scalars())
        if include_transient_failures:
            revived = list(
                uow.session.execute(
                    select(Document.id).where(
                        Document.status == DocumentStatus.FAILED, Document.failure_transient
                    )
                ).scalars()
            )
            if revived:
                uow.session.execute(
                    update(Document)
                    .where(Document.id.in_(revived))
                    .values(
                        status=DocumentStatus.RECEIVED,
                        attempts=0,
                        failure_transient=False,
                        status_reason=None,
                    )
                )
                uow.commit()
            ids.extend(revived)
    return sorted(set(ids))


def reconcile(ctx: Context, *, include_transient_failures: bool = True) -> list[int]:
    """Hand every lost piece of work to the queue again; returns the document ids."""
    ids = pending_documents(ctx, include_transient_failures=include_transient_failures)
    for document_id in ids:
        ctx.dispatch_document(document_id)
    return ids
