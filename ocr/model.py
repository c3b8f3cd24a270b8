"""The extraction contract: value objects, limits and the port the app depends on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

__all__ = [
    "ExtractionResult",
    "Extractor",
    "Limits",
    "PageSource",
    "PageText",
    "Word",
    "result_from_json",
    "result_to_json",
    "validate_languages",
]

_LANGUAGES = re.compile(r"^[A-Za-z_]+(\+[A-Za-z_]+)*$")

PageSource = Literal["text-layer", "ocr"]
_SOURCES: tuple[PageSource, ...] = ("text-layer", "ocr")


@dataclass(frozen=True, slots=True)
class Word:
    """A recognised word and where it sits, for hit highlighting.

    ``bbox`` is ``(left, top, right, bottom)`` as fractions 0..1 of the page as displayed
    (after rotation), origin top left, so it survives any rendering resolution.
    """

    text: str
    bbox: tuple[float, float, float, float]
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class PageText:
    """The text of one page and how it was obtained.

    ``rotation`` is the clockwise turn (0/90/180/270) that OCR applied to make the page
    upright; ``confidence`` is tesseract's mean word confidence 0..1 (``None`` for
    text-layer pages); ``words`` is empty for text-layer pages. An OCR page that also had
    a short text layer (a caption, a script tesseract cannot read) keeps that text in
    front of the OCR text, so nothing typed is lost.
    """

    number: int
    text: str
    source: PageSource
    rotation: int = 0
    confidence: float | None = None
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class ExtractionResult:
    """Everything extracted from one file.

    ``searchable_pdf`` is a derived PDF in the caller's workdir: every page of the input,
    scanned pages with an invisible text layer, born-digital pages copied as they are. It
    is ``None`` when no page needed OCR, because the original is then already searchable.
    """

    media_type: str
    page_count: int
    pages: tuple[PageText, ...]
    searchable_pdf: Path | None = None

    @property
    def text(self) -> str:
        """All pages, separated by form feeds so page boundaries stay recoverable."""
        return "\f".join(page.text for page in self.pages)


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds for one extraction, enforced in the sandboxed child process.

    The wall-clock budget is ``timeout_s`` for opening and reading the file plus
    ``page_timeout_s`` for every round of OCR pages run in parallel; ``page_timeout_s``
    also bounds each tesseract call. ``memory_bytes`` is the address-space limit of the
    child and of each tesseract process. ``max_pixels`` bounds any decoded image or
    rendered page (A3 at 300 dpi is 17.4 million pixels; the default leaves room for
    24-megapixel camera photos); larger PDF pages are rendered at a lower resolution,
    larger images are rejected as possible decompression bombs.
    """

    timeout_s: float = 120.0
    page_timeout_s: float = 60.0
    memory_bytes: int = 1 << 30
    max_pages: int = 2000
    max_pixels: int = 25_000_000
    max_output_bytes: int = 256 << 20

    def __post_init__(self) -> None:
        names = ("timeout_s", "page_timeout_s", "memory_bytes", "max_pages", "max_pixels")
        for name in (*names, "max_output_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive")

    def budget_s(self, ocr_pages: int, processes: int) -> float:
        """Wall-clock budget for a file with ``ocr_pages`` pages to OCR."""
        rounds = -(-max(ocr_pages, 0) // max(processes, 1))
        return self.timeout_s + self.page_timeout_s * rounds


class Extractor(Protocol):
    """Port: turn an untrusted file into text.

    ``extract`` MUST NOT modify ``source``; it MUST write derived files only into
    ``workdir`` (which the caller owns and SHOULD give to one call at a time); it MUST
    raise only ``ExtractionError`` subclasses for problems of the file or the engine; it
    MUST return pages numbered 1..page_count in order.
    """

    def extract(self, source: Path, workdir: Path) -> ExtractionResult: ...


def result_to_json(result: ExtractionResult) -> dict[str, Any]:
    """Plain JSON data, because a sandboxed child must not send pickles to its parent."""
    return {
        "media_type": result.media_type,
        "page_count": result.page_count,
        "searchable_pdf": None if result.searchable_pdf is None else str(result.searchable_pdf),
        "pages": [
            {
                "number": p.number,
                "text": p.text,
                "source": p.source,
                "rotation": p.rotation,
                "confidence": p.confidence,
                "words": [[w.text, *w.bbox, w.confidence] for w in p.words],
            }
            for p in result.pages
        ],
    }


def result_from_json(data: object, workdir: Path) -> ExtractionResult:
    """Rebuild a result from a child's JSON, trusting nothing about its shape.

    Raises ``ValueError`` when the data is malformed or points outside ``workdir``.
    """
    obj = _dict(data)
    pages = tuple(_page_from_json(p) for p in _list(obj["pages"]))
    page_count = _int(obj["page_count"])
    if [p.number for p in pages] != list(range(1, page_count + 1)):
        raise ValueError("pages are not numbered 1..page_count")
    pdf_raw = obj["searchable_pdf"]
    searchable_pdf: Path | None = None
    if pdf_raw is not None:
        searchable_pdf = Path(_str(pdf_raw)).resolve()
        # a compromised child must not smuggle e.g. /etc/shadow into the derived blobs
        if not searchable_pdf.is_relative_to(workdir.resolve()) or not searchable_pdf.is_file():
            raise ValueError("searchable_pdf is not a file inside workdir")
    return ExtractionResult(
        media_type=_str(obj["media_type"]),
        page_count=page_count,
        pages=pages,
        searchable_pdf=searchable_pdf,
    )


def _page_from_json(data: object) -> PageText:
    obj = _dict(data)
    source = _str(obj["source"])
    if source not in _SOURCES:
        raise ValueError("unknown page source")
    rotation = _int(obj["rotation"])
    if rotation not in (0, 90, 180, 270):
        raise ValueError("rotation must be a multiple of 90")
    words = []
    for raw in _list(obj["words"]):
        text, left, top, right, bottom, conf = _list(raw)
        words.append(
            Word(
                text=_str(text),
                bbox=(_float(left), _float(top), _float(right), _float(bottom)),
                confidence=None if conf is None else _float(conf),
            )
        )
    conf_raw = obj["confidence"]
    return PageText(
        number=_int(obj["number"]),
        text=_str(obj["text"]),
        source="ocr" if source == "ocr" else "text-layer",
        rotation=rotation,
        confidence=None if conf_raw is None else _float(conf_raw),
        words=tuple(words),
    )


def _dict(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError("expected an object")
    return value


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("expected an integer")
    return value


def _float(value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError("expected a number")
    return float(value)


def validate_languages(languages: str) -> str:
    """Reject language strings that are not ``lang+lang`` (they end up on a command line)."""
    if not _LANGUAGES.match(languages):
        raise ValueError(f"invalid tesseract languages: {languages!r}")
    return languages
