"""Scan batches: taking a scanner's file in, splitting it into filed documents, its protocol.

A batch is stored first (content-addressed, as every original), recorded as a
``ScanBatch`` row, and split in the worker's sandbox after commit. Splitting creates all
documents of the batch in one transaction, so a crashed run leaves nothing half filed and
the next run starts over. The row is the scan protocol of BSI TR-RESISCAN: who scanned
with which profile, the source's SHA-256, the decision for every page, the SHA-256 of
every document, and who confirmed the quality check.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

import ocr
import storage
from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.enums import CaseStatus, DocumentSource
from ecase.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ServiceUnavailableError,
)
from ecase.domain.media import EXTENSIONS
from ecase.domain.messages import N_
from ecase.models import CaseFile, Document, DocumentVersion, ScanBatch, User
from ecase.services.access import audit
from ecase.services.access.audit_log import spreadsheet_cell
from ecase.services.access.policy import deny
from ecase.services.casefile.documents import new_document, store_original
from ecase.services.context import Context
from ecase.services.intake import leases

# Stored on batches and documents and shown later, so translated where they are shown.
DUPLICATE_BATCH = N_("Duplicate of batch %(batch)s; nothing was filed again.")
UNKNOWN_REFERENCE = N_("Separator sheet names unknown Aktenzeichen %(reference)s")
CLOSED_REFERENCE = N_("Separator sheet names the closed case file %(reference)s")
NOTE_TOO_LONG = N_("The note is too long (%(limit)s characters).")

log = logging.getLogger(__name__)

CHANNELS = ("hotfolder", "upload")
QUALITY_MODES = ("sampled", "complete")
MAX_NOTE = 2000
COPY_CHUNK = 1024 * 1024

RECEIVED, SPLITTING, DONE, FAILED = "received", "splitting", "done", "failed"
NOTHING_TO_FILE = N_("No pages besides separator sheets; nothing was filed.")
INTERNAL_ERROR = N_("Internal error while splitting; the administrators can see the log.")


@dataclass(frozen=True, slots=True)
class ScannerProfile:
    """What a scanner profile (a hot-folder subfolder) declares about its scans."""

    name: str
    resolution_dpi: int | None = None
    colour_mode: str = ""
    #: username of the clerk who scans there, recorded as the batch's scanner
    clerk: str | None = None


@dataclass(frozen=True, slots=True)
class SplitLogEntry:
    """The decision for one page: a separator sheet (and what it said) or a document page."""

    page: int
    kind: str  # separator | page
    payload: str
    reference: str | None
    document: int | None  # 1-based number of the document within the batch
    document_id: int | None
    note: str


@dataclass(frozen=True, slots=True)
class BatchDocumentView:
    id: int
    title: str
    case_id: int | None
    reference: str | None
    pages: tuple[int, ...]
    sha256: str
    duplicate_of_id: int | None
    intake_warning: str | None
    status: str


@dataclass(frozen=True, slots=True)
class BatchView:
    id: int
    channel: str
    profile: str
    resolution_dpi: int | None
    colour_mode: str
    source_filename: str
    source_sha256: str
    source_size: int
    media_type: str
    page_count: int | None
    status: str
    status_reason: str | None
    scanned_by: str | None
    received_at: datetime
    finished_at: datetime | None
    duplicate_of_id: int | None
    quality_check: str | None
    quality_checked_by: str | None
    quality_checked_at: datetime | None
    quality_note: str
    split_log: tuple[SplitLogEntry, ...] = ()
    documents: tuple[BatchDocumentView, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    batch_id: int
    status: str
    retry_in: float | None = None


# ------------------------------------------------------------------------- taking in


def ingest_file(
    ctx: Context,
    actor: Actor | None,
    stream: IO[bytes],
    filename: str,
    *,
    channel: str,
    profile: ScannerProfile | None = None,
) -> BatchView:
    """Store a scanner's file and record it as a batch; splitting starts after commit.

    ``actor`` None is the hot folder (the profile may name the clerk). A file whose bytes
    an earlier batch already brought is recorded as its duplicate and not filed again.
    """
    if channel not in CHANNELS:
        raise InvalidInputError(f"Unknown scan channel {channel!r}.", field="channel")
    if actor is not None and not policy.can_scan(actor):
        with ctx.uow() as uow:
            deny(uow, actor, "scan.ingest", audit.Subject("scan_batch"))
    blob, media_type = store_original(ctx, stream)
    try:
        with ctx.uow() as uow:
            session = uow.session
            earlier = session.execute(
                select(ScanBatch.id)
                .where(ScanBatch.source_sha256 == blob.sha256, ScanBatch.status != FAILED)
                .order_by(ScanBatch.id)
                .limit(1)
            ).scalar()
            batch = ScanBatch(
                channel=channel,
                profile=(profile.name if profile else "")[:60],
                resolution_dpi=profile.resolution_dpi if profile else None,
                colour_mode=(profile.colour_mode if profile else "")[:20],
                source_filename=_display_name(filename),
                source_sha256=blob.sha256,
                source_size=blob.size,
                media_type=media_type,
                scanned_by_id=(
                    actor.user_id
                    if actor
                    else _user_id(session, profile.clerk if profile else None)
                ),
                duplicate_of_id=earlier,
                status=RECEIVED,
                attempts=0,
                split_log="[]",
                quality_note="",
            )
            if earlier is not None:
                batch.status = DONE
                batch.status_reason = DUPLICATE_BATCH % {"batch": earlier}
                batch.finished_at = datetime.now(UTC)
            session.add(batch)
            session.flush()
            audit.record(
                session,
                actor,
                "scan.ingest",
                audit.Subject("scan_batch", batch.id),
                reason=f"{channel}, {blob.size} bytes"
                + (f", duplicate of batch {earlier}" if earlier else ""),
            )
            view = _view(session, batch, with_details=False)
            if earlier is None:
                batch_id = batch.id
                uow.after_commit(lambda: ctx.dispatch_batch(batch_id))
            uow.commit()
    except Exception:
        _forget_unreferenced_blob(ctx, blob.sha256)
        raise
    log.info("scan batch %s received (%s)", view.id, channel)
    return view


def _display_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable())[:255]


def _user_id(session: Session, username: str | None) -> int | None:
    if not username:
        return None
    return session.execute(select(User.id).where(User.username == username)).scalar()


def _forget_unreferenced_blob(ctx: Context, sha256: str) -> None:
    """Undo the blob write of a failed intake unless a document or batch holds the bytes."""
    try:
        with ctx.uow() as uow:
            used = (
                uow.session.execute(
                    select(DocumentVersion.id).where(DocumentVersion.sha256 == sha256).limit(1)
                ).first()
                or uow.session.execute(
                    select(ScanBatch.id).where(ScanBatch.source_sha256 == sha256).limit(1)
                ).first()
            )
        if used is None:
            ctx.blobs.delete(sha256)
    except Exception:
        log.exception("could not remove blob %s of a failed scan intake", sha256)


# ------------------------------------------------------------------------- splitting


def _claim(ctx: Context, batch_id: int) -> int | None:
    """Take the lease on a batch; ``None`` if it is finished or another worker holds it."""
    claimed = leases.claim(
        ctx,
        ScanBatch,
        batch_id,
        unfinished=ScanBatch.status.in_((RECEIVED, SPLITTING)),
        values={"status": SPLITTING},
    )
    return claimed[0] if claimed else None


def split_batch(ctx: Context, batch_id: int) -> Outcome:
    """Split one batch into filed documents; safe to call any number of times."""
    attempt = _claim(ctx, batch_id)
    if attempt is None:
        return Outcome(batch_id, "skipped")
    try:
        status = _split(ctx, batch_id)
    except ocr.OcrEngineError as exc:
        return _transient(ctx, batch_id, attempt, exc)
    except ocr.ExtractionError as exc:
        _finish(ctx, batch_id, FAILED, str(exc))
        return Outcome(batch_id, FAILED)
    except (storage.StorageError, ServiceUnavailableError, OSError) as exc:
        return _transient(ctx, batch_id, attempt, exc)
    except Exception:
        log.exception("scan batch %s: unexpected error while splitting", batch_id)
        _finish(ctx, batch_id, FAILED, INTERNAL_ERROR)
        return Outcome(batch_id, FAILED)
    return Outcome(batch_id, status)


def _transient(ctx: Context, batch_id: int, attempt: int, exc: Exception) -> Outcome:
    log.warning("scan batch %s: attempt %s failed transiently: %s", batch_id, attempt, exc)
    if leases.exhausted(attempt):
        _finish(
            ctx,
            batch_id,
            FAILED,
            "A service needed for splitting (storage, database or the sandbox) was "
            "unavailable; scan the batch again once it is back.",
        )
        return Outcome(batch_id, FAILED)
    leases.release(ctx, ScanBatch, batch_id)
    return Outcome(batch_id, SPLITTING, retry_in=leases.backoff_seconds(attempt))


def _finish(ctx: Context, batch_id: int, status: str, reason: str) -> None:
    try:
        with ctx.uow() as uow:
            uow.session.execute(
                update(ScanBatch)
                .where(ScanBatch.id == batch_id)
                .values(
                    status=status,
                    status_reason=reason[:2000],
                    lease_until=None,
                    finished_at=datetime.now(UTC),
                )
            )
            uow.commit()
    except Exception:
        # The lease runs out and the reconciler brings the batch back; nothing is lost.
        log.exception("scan batch %s: could not record the outcome", batch_id)


def _split(ctx: Context, batch_id: int) -> str:
    with ctx.uow() as uow:
        batch = uow.session.get(ScanBatch, batch_id)
        if batch is None:
            raise NotFoundError(N_("Not found."))
        sha256, suffix = batch.source_sha256, EXTENSIONS.get(batch.media_type, ".bin")
    workdir = Path(tempfile.mkdtemp(prefix="ecase-batch-"))
    try:
        source = workdir / f"source{suffix}"
        with ctx.blobs.open(sha256) as blob, source.open("wb") as out:
            shutil.copyfileobj(blob, out, COPY_CHUNK)
        result = ctx.batch_splitter.split(source, workdir / "documents")
        stored = []
        for document in result.documents:
            with document.path.open("rb") as handle:
                stored.append(ctx.blobs.put(handle))
        return _record_split(ctx, batch_id, result, stored)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _record_split(
    ctx: Context, batch_id: int, result: ocr.BatchSplit, stored: list[storage.BlobInfo]
) -> str:
    """All documents of the batch, its log and its outcome, in one transaction."""
    with ctx.uow() as uow:
        session = uow.session
        batch = session.get(ScanBatch, batch_id)
        if batch is None or batch.status not in (RECEIVED, SPLITTING):
            return batch.status if batch else FAILED
        if session.execute(
            select(Document.id).where(Document.scan_batch_id == batch_id).limit(1)
        ).first():
            return batch.status  # another run filed them; its lease ran out meanwhile
        count = len(result.documents)
        received_on = batch.received_at.astimezone(UTC).date()
        document_ids: list[int] = []
        for item, blob in zip(result.documents, stored, strict=True):
            case, warning = _target_case(ctx, session, item.case_reference)
            earlier = session.execute(
                select(DocumentVersion.document_id)
                .where(DocumentVersion.sha256 == blob.sha256)
                .order_by(DocumentVersion.document_id)
                .limit(1)
            ).scalar()
            document = new_document(
                case_id=case.id if case else None,
                title=f"Scan {batch_id} – Dokument {item.index + 1} von {count}",
                doc_type="",
                received_on=received_on,
                source=DocumentSource.SCAN,
                created_by_id=batch.scanned_by_id,
                blob=blob,
                media_type="application/pdf",
                filename=f"scan-{batch_id}-{item.index + 1}.pdf",
            )
            document.scan_batch_id = batch_id
            document.duplicate_of_id = earlier
            document.intake_warning = warning
            session.add(document)
            session.flush()
            document_ids.append(document.id)
            audit.record(
                session,
                None,
                "document.upload",
                audit.Subject(
                    "document",
                    document.id,
                    document.case_id,
                    case.person_id if case else None,
                    document.id,
                ),
                reason=f"scan batch {batch_id}",
            )
        batch.split_log = json.dumps(
            [_log_entry(page, document_ids) for page in result.pages], ensure_ascii=False
        )
        batch.page_count = result.page_count
        batch.status = DONE
        batch.status_reason = None if count else NOTHING_TO_FILE
        batch.lease_until = None
        batch.finished_at = datetime.now(UTC)
        for document_id in document_ids:
            uow.after_commit(lambda d=document_id: ctx.dispatch_document(d))  # type: ignore[misc]  # default binds the loop value
        uow.commit()
    log.info("scan batch %s: %s documents", batch_id, count)
    return DONE


def _target_case(
    ctx: Context, session: Session, reference: str | None
) -> tuple[CaseFile | None, str | None]:
    """The open case file a separator sheet names, or None and the clerk's warning."""
    if reference is None:
        return None, None
    try:
        normalised = ctx.scheme.normalise(reference)
    except InvalidInputError:
        normalised = reference
    case = session.execute(
        select(CaseFile).where(CaseFile.reference.in_({normalised, reference}))
    ).scalar()
    if case is None:
        return None, UNKNOWN_REFERENCE % {"reference": reference}
    if case.status is not CaseStatus.OPEN:
        return None, CLOSED_REFERENCE % {"reference": case.reference}
    return case, None


def _log_entry(page: ocr.PageReport, document_ids: list[int]) -> dict[str, Any]:
    in_range = page.document is not None and 0 <= page.document < len(document_ids)
    return {
        "page": page.number,
        "kind": page.kind,
        "payload": page.payload,
        "reference": page.reference,
        "document": page.document + 1 if page.document is not None else None,
        "document_id": document_ids[page.document]
        if in_range and page.document is not None
        else None,
        "note": page.note,
    }


def pending_batches(ctx: Context) -> list[int]:
    """Batches whose splitting was lost: not finished, and no worker holds a live lease."""
    now = datetime.now(UTC)
    with ctx.uow() as uow:
        return list(
            uow.session.execute(
                select(ScanBatch.id)
                .where(
                    ScanBatch.status.in_((RECEIVED, SPLITTING)),
                    leases.lease_is_free(ScanBatch, now),
                )
                .order_by(ScanBatch.id)
            ).scalars()
        )


def reconcile_batches(ctx: Context) -> list[int]:
    """Hand every batch whose splitting was lost to the queue again; returns their ids."""
    ids = pending_batches(ctx)
    for batch_id in ids:
        ctx.dispatch_batch(batch_id)
    return ids


# ------------------------------------------------------------------------- reading


def list_batches(ctx: Context, actor: Actor, *, limit: int = 50) -> list[BatchView]:
    """The newest batches first, each with its documents (the protocol overview)."""
    limit = max(1, min(limit, 500))
    with ctx.uow() as uow:
        if not policy.can_read_scan_protocol(actor):
            deny(uow, actor, "scan.list", audit.Subject("scan_batch"))
        batches = list(
            uow.session.execute(
                select(ScanBatch).order_by(ScanBatch.id.desc()).limit(limit)
            ).scalars()
        )
        views = [_view(uow.session, batch) for batch in batches]
        audit.record(
            uow.session,
            actor,
            "scan.list",
            audit.Subject("scan_batch"),
            reason=f"{len(views)} batches",
        )
        uow.commit()
    return views


def get_batch(ctx: Context, actor: Actor, batch_id: int) -> BatchView:
    return _read(ctx, actor, batch_id, "scan.view")


def _read(ctx: Context, actor: Actor, batch_id: int, action: str) -> BatchView:
    with ctx.uow() as uow:
        batch = uow.session.get(ScanBatch, batch_id)
        subject = audit.Subject("scan_batch", batch_id)
        if batch is None:
            raise NotFoundError(N_("Not found."))
        if not policy.can_read_scan_protocol(actor):
            deny(uow, actor, action, subject)
        view = _view(uow.session, batch)
        audit.record(uow.session, actor, action, subject)
        uow.commit()
    return view


def confirm_quality_check(
    ctx: Context, actor: Actor, batch_id: int, mode: str, note: str
) -> BatchView:
    """Record the clerk's visual check (Sichtkontrolle) of a split batch: who, when, how."""
    if mode not in QUALITY_MODES:
        raise InvalidInputError(
            N_("The quality check is either 'sampled' or 'complete'."), field="mode"
        )
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInputError(NOTE_TOO_LONG % {"limit": MAX_NOTE}, field="note")
    with ctx.uow() as uow:
        session = uow.session
        batch = session.get(ScanBatch, batch_id)
        subject = audit.Subject("scan_batch", batch_id)
        if batch is None:
            raise NotFoundError(N_("Not found."))
        if not policy.can_scan(actor):
            deny(uow, actor, "scan.quality_check", subject)
        if batch.status not in (DONE, FAILED):
            raise ConflictError(N_("The batch is still being split; check it once it is done."))
        batch.quality_check = mode
        batch.quality_checked_by_id = actor.user_id
        batch.quality_checked_at = datetime.now(UTC)
        batch.quality_note = note
        session.flush()
        audit.record(session, actor, "scan.quality_check", subject, reason=mode)
        view = _view(session, batch)
        uow.commit()
    return view


def _view(session: Session, batch: ScanBatch, *, with_details: bool = True) -> BatchView:
    names = _usernames(session, {batch.scanned_by_id, batch.quality_checked_by_id})
    entries = tuple(_parse_log(batch.split_log)) if with_details else ()
    documents: tuple[BatchDocumentView, ...] = ()
    if with_details:
        pages: dict[int, list[int]] = {}
        for entry in entries:
            if entry.document_id is not None:
                pages.setdefault(entry.document_id, []).append(entry.page)
        rows = session.execute(
            select(Document, DocumentVersion.sha256, CaseFile.reference)
            .join(DocumentVersion, DocumentVersion.document_id == Document.id)
            .outerjoin(CaseFile, CaseFile.id == Document.case_id)
            .where(Document.scan_batch_id == batch.id, DocumentVersion.number == 1)
            .order_by(Document.id)
        ).all()
        documents = tuple(
            BatchDocumentView(
                id=document.id,
                title=document.title,
                case_id=document.case_id,
                reference=reference,
                pages=tuple(pages.get(document.id, ())),
                sha256=sha256,
                duplicate_of_id=document.duplicate_of_id,
                intake_warning=document.intake_warning,
                status=str(document.status),
            )
            for document, sha256, reference in rows
        )
    return BatchView(
        id=batch.id,
        channel=batch.channel,
        profile=batch.profile,
        resolution_dpi=batch.resolution_dpi,
        colour_mode=batch.colour_mode,
        source_filename=batch.source_filename,
        source_sha256=batch.source_sha256,
        source_size=batch.source_size,
        media_type=batch.media_type,
        page_count=batch.page_count,
        status=batch.status,
        status_reason=batch.status_reason,
        scanned_by=names.get(batch.scanned_by_id),
        received_at=batch.received_at,
        finished_at=batch.finished_at,
        duplicate_of_id=batch.duplicate_of_id,
        quality_check=batch.quality_check,
        quality_checked_by=names.get(batch.quality_checked_by_id),
        quality_checked_at=batch.quality_checked_at,
        quality_note=batch.quality_note,
        split_log=entries,
        documents=documents,
    )


def _usernames(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all()
    return {user_id: username for user_id, username in rows}  # noqa: C416  # Row, not tuple


def _parse_log(raw: str) -> list[SplitLogEntry]:
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return []
    entries = []
    for item in data if isinstance(data, list) else []:
        if isinstance(item, dict):
            entries.append(
                SplitLogEntry(
                    page=int(item.get("page") or 0),
                    kind=str(item.get("kind") or ""),
                    payload=str(item.get("payload") or ""),
                    reference=item.get("reference"),
                    document=item.get("document"),
                    document_id=item.get("document_id"),
                    note=str(item.get("note") or ""),
                )
            )
    return entries


# ------------------------------------------------------------------------- the protocol

PROTOCOL_FIELDS: tuple[tuple[str, str], ...] = (
    ("Stapel / Batch", "id"),
    ("Kanal / Channel", "channel"),
    ("Scanprofil / Scanner profile", "profile"),
    ("Auflösung dpi / Resolution dpi", "resolution_dpi"),
    ("Farbmodus / Colour mode", "colour_mode"),
    ("Quelldatei / Source file", "source_filename"),
    ("SHA-256 der Quelldatei / Source SHA-256", "source_sha256"),
    ("Größe in Bytes / Size in bytes", "source_size"),
    ("Dateityp / Media type", "media_type"),
    ("Seiten / Pages", "page_count"),
    ("Status", "status"),
    ("Hinweis / Reason", "status_reason"),
    ("Gescannt von / Scanned by", "scanned_by"),
    ("Eingang / Received at", "received_at"),
    ("Abgeschlossen / Finished at", "finished_at"),
    ("Duplikat von Stapel / Duplicate of batch", "duplicate_of_id"),
    ("Qualitätskontrolle / Quality check", "quality_check"),
    ("Geprüft von / Checked by", "quality_checked_by"),
    ("Geprüft am / Checked at", "quality_checked_at"),
    ("Prüfvermerk / Quality note", "quality_note"),
)
DOCUMENT_COLUMNS = (
    "Dokument / Document",
    "Titel / Title",
    "Akte / Case file",
    "Seiten / Pages",
    "SHA-256",
    "Duplikat von / Duplicate of",
    "Hinweis / Warning",
    "Status",
)
PAGE_COLUMNS = (
    "Seite / Page",
    "Art / Kind",
    "QR-Inhalt / QR payload",
    "Dokument / Document",
    "Anmerkung / Note",
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return str(value)


def _pages_text(pages: tuple[int, ...]) -> str:
    return ", ".join(str(p) for p in pages)


def protocol_csv(ctx: Context, actor: Actor, batch_id: int) -> bytes:
    """The protocol for German Excel: UTF-8 with BOM, ``;``-separated, no live formulas."""
    view = _read(ctx, actor, batch_id, "scan.protocol")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")

    def row(*cells: object) -> None:
        writer.writerow([spreadsheet_cell(_text(cell)) for cell in cells])

    row("Scanprotokoll / Scan protocol")
    for label, name in PROTOCOL_FIELDS:
        row(label, getattr(view, name))
    row()
    row(*DOCUMENT_COLUMNS)
    for doc in view.documents:
        row(
            doc.id,
            doc.title,
            doc.reference or "Posteingang / Inbox",
            _pages_text(doc.pages),
            doc.sha256,
            doc.duplicate_of_id,
            doc.intake_warning,
            doc.status,
        )
    row()
    row(*PAGE_COLUMNS)
    for entry in view.split_log:
        row(entry.page, entry.kind, entry.payload, entry.document_id, entry.note)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def protocol_pdf(ctx: Context, actor: Actor, batch_id: int) -> bytes:
    """The protocol as a readable A4 document, with every hash written out in full."""
    view = _read(ctx, actor, batch_id, "scan.protocol")
    fields = tuple(f"{label}: {_text(getattr(view, name))}" for label, name in PROTOCOL_FIELDS)
    documents: list[str] = []
    for doc in view.documents:
        documents += [
            f"Dokument {doc.id}: {doc.title}",
            f"    Akte: {doc.reference or 'Posteingang'}  –  Seiten: {_pages_text(doc.pages)}"
            f"  –  Status: {doc.status}",
            f"    SHA-256: {doc.sha256}",
        ]
        if doc.duplicate_of_id:
            documents.append(f"    Duplikat von Dokument {doc.duplicate_of_id}")
        if doc.intake_warning:
            documents.append(f"    Hinweis: {doc.intake_warning}")
    pages = [
        f"Seite {entry.page}: "
        + (
            f"Trennblatt {entry.payload}"
            if entry.kind == "separator"
            else f"Dokument {entry.document_id}"
        )
        + (f" ({entry.note})" if entry.note else "")
        for entry in view.split_log
    ]
    return ocr.render_report_pdf(
        f"Scanprotokoll Stapel {view.id}",
        [
            ocr.ReportSection("Stapel / Batch", fields),
            ocr.ReportSection("Dokumente / Documents", tuple(documents) or ("—",)),
            ocr.ReportSection("Seiten / Pages", tuple(pages) or ("—",)),
        ],
        footer=f"ecase – Scanprotokoll Stapel {view.id} – SHA-256 {view.source_sha256[:16]}…",
    )
