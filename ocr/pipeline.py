"""The extraction run inside the sandboxed child: text layer first, OCR for the rest.

Pages are recognised in parallel by ``processes`` tesseract processes, each with one
OpenMP thread (the sandbox sets ``OMP_THREAD_LIMIT=1``): tesseract's OpenMP threads
speed up one page little, whole pages side by side keep every core busy. Threads here
only feed and wait for those processes; rendering and decoding are serialised by a lock
because neither PDFium nor a shared Pillow image is thread-safe, and happen inside the
page's task so at most ``processes`` page images are in memory.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from threading import Lock
from typing import Any

from pypdf.errors import PyPdfError

from . import sandbox
from .engine import OcrPage, TesseractEngine
from .errors import CorruptDocumentError, ResourceLimitError
from .model import ExtractionResult, Limits, PageText, result_to_json
from .pdfout import write_image_pdf, write_overlaid_pdf
from .raster import ImageFrames, PageImage, PdfRenderer, guard_pillow
from .textlayer import is_clean_text, is_usable_text, open_pdf, page_text

__all__ = ["SEARCHABLE_PDF_NAME", "extract_file", "extract_json"]

log = logging.getLogger(__name__)

SEARCHABLE_PDF_NAME = "searchable.pdf"


def extract_json(request: dict[str, Any]) -> dict[str, Any]:
    """Sandbox entry point: JSON in, JSON out (keys as ``extract_file``'s parameters).

    Page images and tesseract's files go to the sandbox's work folder, which is removed
    even when the worker dies, not to the caller's ``outdir``.
    """
    result = extract_file(
        Path(request["source"]),
        Path(request["outdir"]),
        sandbox.work_dir(),
        media_type=str(request["media_type"]),
        languages=str(request["languages"]),
        dpi=int(request["dpi"]),
        limits=Limits(**request["limits"]),
        processes=int(request["processes"]),
    )
    return result_to_json(result)


def extract_file(
    source: Path,
    workdir: Path,
    scratch: Path,
    *,
    media_type: str,
    languages: str,
    dpi: int,
    limits: Limits,
    processes: int,
) -> ExtractionResult:
    """Extract ``source`` without a sandbox; only the sandboxed child should call this."""
    guard_pillow(limits.max_pixels)
    if os.path.getsize(source) == 0:
        raise CorruptDocumentError("Die Datei ist leer.", code="empty")
    if media_type == "application/pdf":
        return _extract_pdf(
            source,
            workdir,
            scratch,
            languages=languages,
            dpi=dpi,
            limits=limits,
            processes=processes,
        )
    return _extract_images(
        source,
        workdir,
        scratch,
        media_type=media_type,
        languages=languages,
        dpi=dpi,
        limits=limits,
        processes=processes,
    )


def _extract_pdf(
    source: Path,
    workdir: Path,
    scratch: Path,
    *,
    languages: str,
    dpi: int,
    limits: Limits,
    processes: int,
) -> ExtractionResult:
    reader = open_pdf(source, limits)
    count = len(reader.pages)
    texts = [page_text(reader, i) for i in range(count)]
    to_ocr = [i for i, text in enumerate(texts) if not is_usable_text(text)]
    ocr: dict[int, OcrPage] = {}
    if to_ocr:
        sandbox.extend_deadline(limits.budget_s(len(to_ocr), processes) - limits.timeout_s)
        renderer = PdfRenderer(source, dpi=dpi, max_pixels=limits.max_pixels)
        try:
            if len(renderer) != count:
                log.warning("pypdf sees %d pages, PDFium %d", count, len(renderer))
                if max(to_ocr) >= len(renderer):
                    raise CorruptDocumentError(
                        "Die Seitenstruktur der PDF-Datei ist beschädigt.", code="corrupt"
                    )
            engine = TesseractEngine(
                languages=languages, timeout_s=limits.page_timeout_s, text_only=True
            )
            ocr = _recognise(to_ocr, renderer.render, engine, scratch, processes)
        finally:
            renderer.close()
    pages = tuple(
        _ocr_page_text(i + 1, ocr[i], layer=texts[i] if is_clean_text(texts[i]) else "")
        if i in ocr
        else PageText(number=i + 1, text=texts[i], source="text-layer")
        for i in range(count)
    )
    searchable = None
    if ocr:
        try:
            searchable = write_overlaid_pdf(reader, ocr, workdir / SEARCHABLE_PDF_NAME)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            # the text is what search needs and the original stays viewable; a derived PDF
            # that pypdf cannot write must not cost the document its text
            log.warning("searchable PDF could not be written", exc_info=True)
    return ExtractionResult(
        media_type="application/pdf", page_count=count, pages=pages, searchable_pdf=searchable
    )


def _extract_images(
    source: Path,
    workdir: Path,
    scratch: Path,
    *,
    media_type: str,
    languages: str,
    dpi: int,
    limits: Limits,
    processes: int,
) -> ExtractionResult:
    frames = ImageFrames(source, media_type, default_dpi=dpi, max_pixels=limits.max_pixels)
    try:
        count = len(frames)
        if count > limits.max_pages:
            raise ResourceLimitError(
                f"Die Bilddatei hat {count} Seiten; verarbeitet werden höchstens "
                f"{limits.max_pages} Seiten. Bitte die Datei aufteilen.",
                code="too_many_pages",
            )
        frames.check_sizes()
        sandbox.extend_deadline(limits.budget_s(count, processes) - limits.timeout_s)
        engine = TesseractEngine(
            languages=languages, timeout_s=limits.page_timeout_s, text_only=False
        )
        ocr = _recognise(range(count), frames.render, engine, scratch, processes)
    finally:
        frames.close()
    ordered = [ocr[i] for i in range(count)]
    searchable = write_image_pdf(ordered, workdir / SEARCHABLE_PDF_NAME)
    return ExtractionResult(
        media_type=media_type,
        page_count=count,
        pages=tuple(_ocr_page_text(i + 1, page) for i, page in enumerate(ordered)),
        searchable_pdf=searchable,
    )


def _recognise(
    indices: Sequence[int],
    render: Callable[[int], PageImage],
    engine: TesseractEngine,
    scratch: Path,
    processes: int,
) -> dict[int, OcrPage]:
    lock = Lock()

    def work(index: int) -> OcrPage:
        with lock:
            page = render(index)
        try:
            return engine.recognise(page.image, page.dpi, scratch, f"page-{index + 1:05d}")
        finally:
            page.image.close()

    with ThreadPoolExecutor(max_workers=max(processes, 1), thread_name_prefix="ocr") as pool:
        futures: dict[Future[OcrPage], int] = {pool.submit(work, i): i for i in indices}
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            if future.exception() is not None:
                # pages not yet started are dropped; the failing page decides the outcome
                for other in futures:
                    other.cancel()
                future.result()
        return {index: future.result() for future, index in futures.items()}


def _ocr_page_text(number: int, page: OcrPage, layer: str = "") -> PageText:
    return PageText(
        number=number,
        text="\n\n".join(part for part in (layer.strip(), page.text) if part),
        source="ocr",
        rotation=page.rotation,
        confidence=None if page.confidence is None else round(page.confidence, 4),
        words=page.words,
    )
