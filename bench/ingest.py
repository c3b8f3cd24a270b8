"""Upload-to-ready throughput of ecase's ingest pipeline next to raw tesseract, in the same run.

Usage: .venv/bin/python bench/ingest.py [--pages 10] [--repeat 2] [--processes N] [--quick]

Sets up a throw-away ECASE_HOME (embedded SQLite, filesystem blobs, Whoosh index) with a
team, a caseworker, a person and a case file, then measures, through the real services
(``documents.add_document`` followed by ``pipeline.process_document`` with the real
``TesseractExtractor``, ``ECASE_OCR_PROCESSES`` = N):

* a multi-page 300 dpi German letter scan as image-only PDF and as multi-page TIFF, in
  pages/s, next to raw ``tesseract page.png out -l deu+eng txt`` on the same page images
  spread over N processes with ``OMP_THREAD_LIMIT=1`` (bench/ocr.py's baseline);
* a born-digital PDF (text layer only) of 200 pages, in pages/s;
* a batch of 20 one-page scans and a batch of 20 one-page born-digital PDFs, one document
  after the other as the single-threaded worker takes them, in documents/min; the scans
  next to raw tesseract on the same 20 page images, one at a time.

Every upload carries a unique trailer, so no run is served by an earlier run's blob.
Rounds interleave the cases; the table shows the best round and, for ratios, the median
of the per-round ratios. Prints a markdown table and writes it to bench/results/ingest.md.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pypdfium2

# run as a script, this file's folder is on sys.path and bench/ocr.py would shadow the ocr
# package; the repository root goes in front of it
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from office import Office, load_ocr_bench, open_office, timed_rounds

from ecase.models import Document
from ecase.services.casefile import documents
from ecase.services.intake import pipeline
from ocr import samples

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "ingest.md"
BATCH = 20
TEXT_PAGES = 200

RAW_TIF = "raw tesseract, TIFF's pages"
RAW_PDF = "raw tesseract, PDF's pages"
ECASE_TIF = "ecase upload-to-ready, multi-page TIFF"
ECASE_PDF = "ecase upload-to-ready, image-only PDF"
ECASE_TEXT = "ecase upload-to-ready, born-digital PDF"
RAW_BATCH = "raw tesseract, batch pages one at a time"
ECASE_BATCH = "ecase upload-to-ready, batch of 1-page scans"
ECASE_BATCH_TEXT = "ecase upload-to-ready, batch of 1-page born-digital PDFs"
BASELINE = {ECASE_TIF: RAW_TIF, ECASE_PDF: RAW_PDF, ECASE_BATCH: RAW_BATCH}


ocr_bench = load_ocr_bench()


@dataclass(frozen=True)
class Case:
    name: str
    pages: int
    documents: int
    run: Callable[[], None]


@dataclass(frozen=True)
class Ecase:
    """The bench office, uploading into its case file."""

    office: Office

    def ingest(self, data: bytes, filename: str, pages: int) -> None:
        """Upload and run the pipeline to ``ready``, as the worker would; checks the result."""
        ctx = self.office.ctx
        upload = documents.Upload(io.BytesIO(data), filename)
        document_id = documents.add_document(ctx, self.office.actor, self.office.case_id, upload).id
        outcome = pipeline.process_document(ctx, document_id)
        with ctx.uow() as uow:
            document = uow.session.get(Document, document_id)
            if document is None:
                raise SystemExit(f"{filename}: document {document_id} vanished")
            status, page_count, reason = (
                document.status,
                document.page_count,
                document.status_reason,
            )
        if outcome.status != "ready" or page_count != pages:
            raise SystemExit(
                f"{filename}: {outcome.status}/{status} with {page_count} pages "
                f"(expected ready, {pages}): {reason}"
            )


_serial = itertools.count()


def _unique(data: bytes) -> bytes:
    """The same file with a unique trailer (ignored by PDF and TIFF readers)."""
    return data + f"\n%bench-{os.getpid()}-{next(_serial)}\n".encode("ascii")


@dataclass(frozen=True)
class Batch:
    scans: list[bytes]
    scan_pngs: list[Path]
    texts: list[bytes]


def _make_batch(work: Path, count: int) -> Batch:
    """``count`` one-page letters as image-only PDFs (and their pages as PNG) and as text PDFs."""
    work.mkdir(parents=True, exist_ok=True)
    scans, pngs, texts = [], [], []
    for i in range(1, count + 1):
        scan = samples.image_pdf([samples.render_page(samples.letter_lines(i))])
        scans.append(scan)
        document = pypdfium2.PdfDocument(scan)
        pngs.append(work / f"batch-{i:03d}.png")
        rendered = document[0].render(scale=300 / 72, grayscale=True).to_pil()
        rendered.save(pngs[-1], dpi=(300, 300))
        document.close()
        texts.append(samples.text_pdf([samples.letter_lines(i)]))
    return Batch(scans=scans, scan_pngs=pngs, texts=texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10, help="scanned pages (default 10)")
    parser.add_argument(
        "--repeat", type=int, default=2, help="rounds (default 2: 3-5 minutes on 2 CPUs)"
    )
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 3 pages, 50 text pages, 5 docs, 1 round"
    )
    args = parser.parse_args()
    pages, text_pages, batch, repeat = args.pages, TEXT_PAGES, BATCH, max(args.repeat, 1)
    if args.quick:
        pages, text_pages, batch, repeat = 3, 50, 5, 1
    procs = max(args.processes, 1)

    started, load_before = time.perf_counter(), _load()
    with tempfile.TemporaryDirectory(prefix="ecase-bench-ingest-") as tmp:
        work = Path(tmp)
        inputs = ocr_bench._make_inputs(work, pages, text_pages)
        small = _make_batch(work / "batch", batch)
        scan_pdf, scan_tif = inputs.pdf.read_bytes(), inputs.tif.read_bytes()
        text_pdf = inputs.text_pdf.read_bytes()
        app = Ecase(open_office(work / "var", procs))

        def uploads(items: list[bytes], n: int) -> Callable[[], None]:
            def run() -> None:
                for data in items:
                    app.ingest(_unique(data), "letter.pdf", n)

            return run

        cases_ = [
            Case(RAW_TIF, pages, 1, lambda: ocr_bench._raw(inputs.tif_pages, work, procs)),
            Case(RAW_PDF, pages, 1, lambda: ocr_bench._raw(inputs.pdf_pages, work, procs)),
            Case(ECASE_TIF, pages, 1, lambda: app.ingest(_unique(scan_tif), "scan.tif", pages)),
            Case(ECASE_PDF, pages, 1, lambda: app.ingest(_unique(scan_pdf), "scan.pdf", pages)),
            Case(ECASE_TEXT, text_pages, 1, uploads([text_pdf], text_pages)),
            Case(RAW_BATCH, batch, batch, lambda: ocr_bench._raw(small.scan_pngs, work, 1)),
            Case(ECASE_BATCH, batch, batch, uploads(small.scans, 1)),
            Case(ECASE_BATCH_TEXT, batch, batch, uploads(small.texts, 1)),
        ]
        times = timed_rounds([(case.name, case.run) for case in cases_], repeat)
    elapsed = time.perf_counter() - started

    report = _report(cases_, times, pages=pages, batch=batch, procs=procs, repeat=repeat)
    report += (
        f"\nWhole run: {elapsed:.0f} s; load average (1 min) {load_before} before, "
        f"{_load()} after.\n"
    )
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def _report(
    cases_: list[Case],
    times: dict[str, list[float]],
    *,
    pages: int,
    batch: int,
    procs: int,
    repeat: int,
) -> str:
    best = {name: min(values) for name, values in times.items()}
    lines = [
        f"# Ingest benchmark ({time.strftime('%Y-%m-%d')})",
        "",
        f"Machine: {ocr_bench._cpu()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {ocr_bench._tesseract_version()}.",
        "",
        f"Upload-to-ready = `documents.add_document` + `pipeline.process_document` in an "
        f"embedded ECASE_HOME (SQLite, filesystem blobs, Whoosh), real TesseractExtractor with "
        f"{procs} processes. Scan: {pages} A4 pages of German letter text, 300 dpi, grey "
        f"(bench/ocr.py's pages). Raw tesseract: `tesseract page.png out -l deu+eng txt`, "
        f"OMP_THREAD_LIMIT=1, {procs} pages at a time for the scan, one at a time for the "
        f"batch (as the worker takes one document at a time). Best of {repeat} interleaved "
        "rounds; ratios also as the median of per-round ratios.",
        "",
        "| case | pages | docs | best s | pages/s | docs/min | ecase/raw (best) "
        "| ecase/raw (median) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in cases_:
        seconds = best[case.name]
        ratio = median = ""
        if case.name in BASELINE:
            raw = BASELINE[case.name]
            ratio = f"{best[raw] / seconds:.2f}"
            rounds = [r / e for r, e in zip(times[raw], times[case.name], strict=True)]
            median = f"{statistics.median(rounds):.2f}"
        docs_min = f"{case.documents * 60 / seconds:.1f}" if case.documents > 1 else ""
        lines.append(
            f"| {case.name} | {case.pages} | {case.documents} | {seconds:.2f} | "
            f"{case.pages / seconds:.2f} | {docs_min} | {ratio} | {median} |"
        )
    scan_overhead = (best[ECASE_BATCH] - best[RAW_BATCH]) / batch
    text_per_doc = best[ECASE_BATCH_TEXT] / batch
    lines += [
        "",
        f"Per-document cost beyond raw tesseract (1-page scans): {scan_overhead * 1000:.0f} ms; "
        f"a 1-page born-digital PDF upload-to-ready: {text_per_doc * 1000:.0f} ms.",
        "",
        "Goals (issue 3): ecase on scans >= 0.9 x raw tesseract; born-digital >= 50 pages/s.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
