"""Scan-batch throughput: a 50-page batch with separator sheets to ready documents, next to raw
tesseract on the same pages, in the same run.

Usage: .venv/bin/python bench/batch.py [--documents 10] [--repeat 2] [--processes N]

Sets up a throw-away ECASE_HOME (embedded SQLite, filesystem blobs, Whoosh index) with a
case file, generates a batch as the scanner writes it (image-only PDF, 300 dpi, grey): ten
letters of four pages, each behind a separator sheet (every other one naming the case
file), 50 pages in all. Then measures, through the real services:

* **split**: ``scanning.ingest_file`` (hot-folder intake) and ``scanning.split_batch`` with
  the sandboxed splitter (rasterising every page at 100 dpi, reading QR codes, copying the
  pages into one PDF per document), in batch pages/s;
* **batch to ready**: the same plus ``pipeline.process_document`` for every document with
  the real ``TesseractExtractor`` (``ECASE_OCR_PROCESSES`` = N), documents one after the
  other as a single worker thread takes them, in document pages/s;
* **raw tesseract** on the same 40 document pages (PNG, rendered at 300 dpi beforehand),
  spread over N processes with ``OMP_THREAD_LIMIT=1`` (bench/ocr.py's baseline).

Every round ingests the batch with a unique trailer, so no round is a duplicate of the
last. Rounds interleave the cases; ratios use the median of the per-round ratios. Prints a
markdown table and writes it to bench/results/batch.md.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2
from sqlalchemy import select

# run as a script, this file's folder is on sys.path and bench/ocr.py would shadow the ocr
# package; the repository root goes in front of it
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from office import load_ocr_bench, open_office, timed_rounds

from ecase.models import Document
from ecase.services.context import Context
from ecase.services.intake import pipeline, scanning
from ocr import samples
from ocr.batch_samples import sheet_page

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "batch.md"
PAGES_PER_DOCUMENT = 4

RAW = "raw tesseract, the documents' pages"
SPLIT = "ecase split only (intake + sandboxed split)"
READY = "ecase batch to ready (intake + split + OCR + index)"


ocr_bench = load_ocr_bench()
_serial = itertools.count()


def _make_batch(work: Path, documents: int, reference: str) -> tuple[bytes, list[Path]]:
    """The batch PDF and its document pages as PNG (the baseline's input)."""
    pages = []
    for d in range(documents):
        pages.append(sheet_page(reference if d % 2 == 0 else None, dpi=300))
        pages += [
            samples.render_page(samples.letter_lines(d * PAGES_PER_DOCUMENT + p))
            for p in range(1, PAGES_PER_DOCUMENT + 1)
        ]
    pdf = samples.image_pdf(pages)
    pngs = []
    document = pypdfium2.PdfDocument(pdf)
    for i in range(len(document)):
        if i % (PAGES_PER_DOCUMENT + 1) == 0:
            continue  # separator sheets are in no document
        pngs.append(work / f"page-{i:03d}.png")
        document[i].render(scale=300 / 72, grayscale=True).to_pil().save(pngs[-1], dpi=(300, 300))
    document.close()
    return pdf, pngs


def _ingest_and_split(ctx: Context, pdf: bytes, documents: int) -> list[int]:
    data = pdf + f"\n%bench-{os.getpid()}-{next(_serial)}\n".encode("ascii")
    batch = scanning.ingest_file(
        ctx, None, io.BytesIO(data), "stapel.pdf", channel="hotfolder", profile=None
    )
    outcome = scanning.split_batch(ctx, batch.id)
    with ctx.uow() as uow:
        ids = list(
            uow.session.execute(
                select(Document.id).where(Document.scan_batch_id == batch.id)
            ).scalars()
        )
    if outcome.status != "done" or len(ids) != documents:
        raise SystemExit(f"split: {outcome.status}, {len(ids)} documents (expected {documents})")
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10, help="letters of 4 pages")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=2, help="rounds; ratios use the median")
    args = parser.parse_args()
    procs, n_docs = args.processes, args.documents
    batch_pages = n_docs * (PAGES_PER_DOCUMENT + 1)
    doc_pages = n_docs * PAGES_PER_DOCUMENT

    with tempfile.TemporaryDirectory(prefix="ecase-bench-batch-") as tmp:
        work = Path(tmp)
        office = open_office(work / "home", procs)
        ctx = office.ctx
        pdf, pngs = _make_batch(work, n_docs, office.reference)

        def split() -> None:
            _ingest_and_split(ctx, pdf, n_docs)

        def ready() -> None:
            for document_id in _ingest_and_split(ctx, pdf, n_docs):
                outcome = pipeline.process_document(ctx, document_id)
                if outcome.status != "ready":
                    raise SystemExit(f"document {document_id}: {outcome.status}")

        def raw() -> None:
            ocr_bench._raw(pngs, work, procs)

        cases = [(RAW, doc_pages, raw), (SPLIT, batch_pages, split), (READY, doc_pages, ready)]
        times = timed_rounds([(name, run) for name, _, run in cases], args.repeat)

    per_round_ready = [r / e for r, e in zip(times[RAW], times[READY], strict=True)]
    per_round_split = [s / r for s, r in zip(times[SPLIT], times[RAW], strict=True)]
    lines = [
        f"# Scan-batch benchmark ({time.strftime('%Y-%m-%d')})",
        "",
        f"Machine: {ocr_bench._cpu()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {ocr_bench._tesseract_version()}. Batch: "
        f"{batch_pages} A4 pages at 300 dpi, grey, image-only PDF: {n_docs} letters of "
        f"{PAGES_PER_DOCUMENT} pages, each behind a separator sheet. {procs} OCR processes; "
        f"{args.repeat} interleaved rounds.",
        "",
        "| case | pages | median s | pages/s |",
        "|---|---:|---:|---:|",
    ]
    for name, pages, _ in cases:
        median = statistics.median(times[name])
        lines.append(f"| {name} | {pages} | {median:.2f} | {pages / median:.2f} |")
    lines += [
        "",
        f"- batch to ready / raw tesseract (throughput, median of rounds): "
        f"**{statistics.median(per_round_ready):.2f}**",
        f"- split only / raw tesseract (time, median of rounds): "
        f"**{statistics.median(per_round_split):.2f}**",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
