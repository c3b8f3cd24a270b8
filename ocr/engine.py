"""One tesseract run per page that yields text, word boxes and the PDF page at once.

A single ``tesseract page.tif out pdf`` call with ``tessedit_create_tsv=1`` writes both the
page PDF (image plus invisible text, or the text alone for PDF input) and the TSV with
words, boxes and confidences, for 1-3 % more time than plain text output; running
``image_to_data`` and ``image_to_pdf_or_hocr`` separately would recognise every page
twice. ``pytesseract.run_and_get_multiple_output`` does the same but accepts no options
(no ``--dpi``), so the lower-level ``pytesseract.pytesseract.run_tesseract`` is used.

Orientation detection (OSD) is a second tesseract process and costs a third of a page's
recognition time, so it runs only when the first pass looks wrong: low confidence (text
upside down) or word boxes taller than wide (text sideways). The page is then turned as
OSD says and recognised again; the better of the two passes wins.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytesseract
from PIL import Image

from .errors import CorruptDocumentError, ExtractionError, OcrEngineError, ResourceLimitError
from .model import Word, validate_languages

__all__ = ["OcrPage", "TesseractEngine", "parse_tsv"]

log = logging.getLogger(__name__)

#: Mean word confidence below which a page is suspected to be upside down.
SUSPICIOUS_CONFIDENCE = 0.6
#: OSD results below this confidence are ignored (real text pages score 10-20).
MIN_OSD_CONFIDENCE = 2.0
#: Words at least this confident count towards a pass's quality score.
CONFIDENT = 70.0

_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,  # PIL's ROTATE_* turn counter-clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True, slots=True)
class OcrPage:
    """Tesseract's reading of one page; ``pdf`` is its one-page PDF in the scratch dir."""

    text: str
    words: tuple[Word, ...]
    confidence: float | None
    rotation: int
    pdf: Path


@dataclass(frozen=True, slots=True)
class _Pass:
    text: str
    words: tuple[Word, ...]
    score: float
    pdf: Path


class TesseractEngine:
    """Runs tesseract on page images; ``text_only`` leaves the image out of the page PDF,
    for PDF input whose original page keeps its own image."""

    def __init__(self, *, languages: str, timeout_s: float, text_only: bool):
        self._languages = validate_languages(languages)
        self._timeout = max(1, round(timeout_s))
        self._text_only = text_only

    def recognise(self, image: Image.Image, dpi: float, scratch: Path, stem: str) -> OcrPage:
        """OCR one page image; MUST be safe to call from several threads at once."""
        first = self._pass(image, dpi, scratch / f"{stem}-a")
        rotation = 0
        best = first
        if _looks_misoriented(first.words, image.size):
            rotation = self._orientation(image, dpi, scratch / f"{stem}-osd")
            if rotation:
                turned = image.transpose(_TRANSPOSE[rotation])
                second = self._pass(turned, dpi, scratch / f"{stem}-b")
                if second.score > 0 and second.score >= 0.95 * first.score:
                    best = second
                else:
                    rotation = 0
        confidences = [w.confidence for w in best.words if w.confidence is not None]
        return OcrPage(
            text=best.text,
            words=best.words,
            confidence=sum(confidences) / len(confidences) if confidences else None,
            rotation=rotation,
            pdf=best.pdf,
        )

    def _pass(self, image: Image.Image, dpi: float, base: Path) -> _Pass:
        # uncompressed TIFF: written in milliseconds, read by leptonica faster than PNM
        tif = base.with_suffix(".tif")
        image.save(tif, format="TIFF", dpi=(dpi, dpi))
        config = (
            f"--dpi {round(dpi)} -c tessedit_create_tsv=1 "
            f"-c textonly_pdf={1 if self._text_only else 0}"
        )
        try:
            self._run(
                lambda: pytesseract.pytesseract.run_tesseract(
                    str(tif), str(base), "pdf", self._languages, config, 0, self._timeout
                )
            )
        finally:
            tif.unlink(missing_ok=True)
        tsv = base.with_suffix(".tsv")
        text, words = parse_tsv(tsv.read_text(encoding="utf-8"), image.size)
        tsv.unlink()
        score = sum(
            len(w.text)
            for w in words
            if w.confidence is not None and w.confidence * 100 >= CONFIDENT
        )
        return _Pass(text=text, words=words, score=score, pdf=base.with_suffix(".pdf"))

    def _orientation(self, image: Image.Image, dpi: float, base: Path) -> int:
        """Clockwise degrees that make the page upright; 0 when OSD cannot tell."""
        small = image if image.mode != "1" else image.convert("L")
        if dpi >= 200:
            # OSD needs letter shapes, not fine detail: half resolution halves its time
            small = small.reduce(2)
            dpi /= 2
        tif = base.with_suffix(".tif")
        small.save(tif, format="TIFF", dpi=(dpi, dpi))
        try:
            osd: dict[str, Any] = self._run(
                lambda: pytesseract.image_to_osd(
                    str(tif),
                    lang="osd",
                    config=f"--dpi {round(dpi)}",
                    output_type=pytesseract.Output.DICT,
                    timeout=self._timeout,
                )
            )
        except ExtractionError as exc:
            if isinstance(exc, ResourceLimitError):
                raise
            # too few letters, or no osd.traineddata: keep the page as it is
            log.info("orientation detection gave no answer: %s", exc.detail)
            return 0
        finally:
            tif.unlink(missing_ok=True)
        rotate = int(osd.get("rotate", 0)) % 360
        if rotate not in _TRANSPOSE or float(osd.get("orientation_conf", 0.0)) < MIN_OSD_CONFIDENCE:
            return 0
        return rotate

    def _run(self, call: Any) -> Any:
        try:
            return call()
        except pytesseract.TesseractNotFoundError as exc:
            raise OcrEngineError(
                "Die Texterkennung (tesseract) ist auf dem Server nicht installiert. "
                "Bitte die IT verständigen.",
                detail=repr(exc),
            ) from exc
        except pytesseract.TesseractError as exc:
            message = str(getattr(exc, "message", exc))
            if "Failed loading language" in message or "Could not initialize" in message:
                raise OcrEngineError(
                    f"Für die Texterkennung fehlen Sprachdaten ({self._languages}). "
                    "Bitte die IT verständigen.",
                    detail=message,
                ) from exc
            raise CorruptDocumentError(
                "Eine Seite konnte von der Texterkennung nicht gelesen werden.",
                detail=message,
            ) from exc
        except RuntimeError as exc:
            if "timeout" not in str(exc).lower():
                raise
            raise ResourceLimitError(
                f"Die Texterkennung einer Seite hat länger als {self._timeout} Sekunden "
                "gedauert und wurde abgebrochen.",
                code="timeout",
                detail=repr(exc),
            ) from exc


def parse_tsv(tsv: str, size: tuple[int, int]) -> tuple[str, tuple[Word, ...]]:
    """Text (lines and blank-line separated paragraphs) and words from tesseract's TSV."""
    width, height = max(size[0], 1), max(size[1], 1)
    words: list[Word] = []
    paragraphs: list[list[list[str]]] = []
    current: tuple[str, ...] | None = None
    line_key: tuple[str, ...] | None = None
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        with contextlib.suppress(ValueError):
            conf = float(cols[10])
            if not text or conf < 0:
                continue
            left, top, w, h = (int(c) for c in cols[6:10])
            words.append(
                Word(
                    text=text,
                    bbox=(left / width, top / height, (left + w) / width, (top + h) / height),
                    confidence=round(conf / 100.0, 4),
                )
            )
            par_key = tuple(cols[1:4])
            if par_key != current:
                current = par_key
                paragraphs.append([])
                line_key = None
            if tuple(cols[1:5]) != line_key:
                line_key = tuple(cols[1:5])
                paragraphs[-1].append([])
            paragraphs[-1][-1].append(text)
    text = "\n\n".join("\n".join(" ".join(line) for line in par) for par in paragraphs)
    return text, tuple(words)


def _looks_misoriented(words: tuple[Word, ...], size: tuple[int, int]) -> bool:
    if not words:
        return False
    confidences = [w.confidence for w in words if w.confidence is not None]
    if confidences and sum(confidences) / len(confidences) < SUSPICIOUS_CONFIDENCE:
        return True
    # tesseract reads sideways lines correctly but leaves the page sideways; tall word
    # boxes give it away
    long_words = [w for w in words if len(w.text) >= 4]
    width, height = size
    tall = sum(
        1 for w in long_words if (w.bbox[3] - w.bbox[1]) * height > (w.bbox[2] - w.bbox[0]) * width
    )
    return len(long_words) >= 3 and tall > len(long_words) / 2
