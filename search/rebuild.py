"""Resumable full rebuilds of a SearchIndex from a stream of documents ordered by id.

Why a checkpoint file and not ``max(index.document_ids())``: while a rebuild runs, the
worker keeps indexing new uploads (which carry the highest ids), so the largest id in the
index says nothing about how far the rebuild got. The checkpoint records the last id of
the last *committed* batch and is written atomically after each commit; a crash loses at
most one batch, and re-indexing that batch is harmless because indexing is an upsert.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from search.errors import RebuildError
from search.model import IndexedDocument, SearchIndex

__all__ = ["RebuildReport", "read_checkpoint", "rebuild"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild did."""

    indexed: int
    skipped: int
    #: id of the last committed document (None if nothing was indexed)
    last_document_id: int | None


def read_checkpoint(path: Path) -> int | None:
    """The id to pass as ``resume_after``, or None if no rebuild was interrupted."""
    try:
        return int(path.read_text().strip())
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise RebuildError(f"checkpoint {path} is unreadable; start a full rebuild") from exc


def _write_checkpoint(path: Path, document_id: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{document_id}\n")
    os.replace(tmp, path)


def rebuild(
    index: SearchIndex,
    documents: Iterable[IndexedDocument],
    *,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    resume_after: int | None = None,
    checkpoint: Path | None = None,
    optimize: bool = True,
) -> RebuildReport:
    """Index ``documents`` (ascending ``document_id``, no repeats) in committed batches.

    Without ``resume_after`` this is a full rebuild: the index is cleared first, so
    documents deleted from the database disappear from search too (and search shows
    only what has been rebuilt so far). With ``resume_after`` nothing is cleared and
    documents with ``document_id <= resume_after`` are skipped, so the caller may stream
    from the start or from ``WHERE id > resume_after``. After every committed batch
    ``progress`` receives the number of documents indexed in this call and ``checkpoint``
    (if given) is replaced with the batch's last id; it is removed when the rebuild
    completes. Out-of-order ids raise RebuildError (after committing what came before),
    because a checkpoint would then skip documents. With ``optimize`` the index is
    compacted at the end (for Whoosh: merged into one segment, which takes about half as
    long again as the rebuild and makes queries faster; see bench/search.py).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if resume_after is None:
        index.clear()
        if checkpoint is not None:
            checkpoint.unlink(missing_ok=True)
    indexed = skipped = 0
    last_seen: int | None = resume_after
    last_committed: int | None = None
    batch: list[IndexedDocument] = []

    def flush() -> None:
        nonlocal indexed, last_committed
        if not batch:
            return
        index.index(batch)
        indexed += len(batch)
        last_committed = batch[-1].document_id
        if checkpoint is not None:
            _write_checkpoint(checkpoint, last_committed)
        batch.clear()
        if progress is not None:
            progress(indexed)

    for document in documents:
        if resume_after is not None and document.document_id <= resume_after:
            skipped += 1
            continue
        if last_seen is not None and document.document_id <= last_seen:
            flush()
            raise RebuildError(
                f"documents must arrive in ascending id order: {document.document_id} "
                f"after {last_seen}"
            )
        last_seen = document.document_id
        batch.append(document)
        if len(batch) >= batch_size:
            flush()
    flush()
    if optimize:
        index.optimize()
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    log.info("search rebuild indexed %s documents, skipped %s", indexed, skipped)
    return RebuildReport(indexed=indexed, skipped=skipped, last_document_id=last_committed)
