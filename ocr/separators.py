"""Separator sheets: QR-coded pages that split a scanned batch into documents.

A separator sheet is a page whose QR code reads ``ECASE:SEP`` (a new document starts
after this page) or ``ECASE:CASE:<Aktenzeichen>`` (a new document starts and belongs to
that case file); separator pages are part of no document. This module parses payloads,
finds them on rasterised pages (zxing-cpp), plans the split of a batch and writes the
printable sheets as a small vector PDF (QR code drawn as rectangles, text in Helvetica).

Pillow, zxing-cpp and segno are imported inside the functions that use them, so that
importing ``ocr`` stays free of image libraries.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from .pdfwrite import build_pdf, pdf_string

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "CASE_PREFIX",
    "SEPARATOR_PAYLOAD",
    "PlannedDocument",
    "Separator",
    "SeparatorKind",
    "SheetSpec",
    "case_payload",
    "detect_separator",
    "parse_payload",
    "render_sheet_pdf",
    "split_pages",
]

SeparatorKind = Literal["sep", "case"]

SEPARATOR_PAYLOAD: Final = "ECASE:SEP"
CASE_PREFIX: Final = "ECASE:CASE:"
MAX_REFERENCE_LENGTH: Final = 64  # the case_files.reference column

# Letters, digits and the separators an Aktenzeichen template can sensibly use; it starts
# and ends with a letter or digit. No colon, no control characters, no umlauts.
_REFERENCE_RE: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 ./_-]*[A-Za-z0-9])?")


@dataclass(frozen=True, slots=True)
class Separator:
    """A decoded separator sheet: ``reference`` is the Aktenzeichen for ``kind == "case"``.

    ``raw`` is the QR code's text as read, kept for the scan protocol; it takes no part in
    comparisons, so ``Separator("case", "MA-1234-2026-00017")`` equals a detected sheet.
    """

    kind: SeparatorKind
    reference: str | None = None
    raw: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class PlannedDocument:
    """One document of a batch: its 1-based page numbers and the sheet that started it."""

    pages: tuple[int, ...]
    case_reference: str | None
    started_by: Separator | None


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """What one printed sheet carries: the QR payload, a big title and a few text lines."""

    payload: str
    title: str
    lines: tuple[str, ...] = ()


def case_payload(reference: str) -> str:
    """The QR payload of a sheet for case file ``reference`` (checked like a scanned one)."""
    payload = CASE_PREFIX + reference
    if parse_payload(payload) is None:
        raise ValueError(f"{reference!r} cannot be put on a separator sheet")
    return payload


def parse_payload(text: str) -> Separator | None:
    """The separator a QR code's text stands for, or None for any other code.

    Strict on purpose: a QR code printed on a letter (a payment code, a web link, an
    authority's own tracking code) must never split a batch.
    """
    if text == SEPARATOR_PAYLOAD:
        return Separator("sep", None, text)
    if text.startswith(CASE_PREFIX):
        reference = text[len(CASE_PREFIX) :]
        if len(reference) <= MAX_REFERENCE_LENGTH and _REFERENCE_RE.fullmatch(reference):
            return Separator("case", reference, text)
    return None


# --- detection ---------------------------------------------------------------------------

#: The fast path reads a copy whose longer side is at most this many pixels (about 120 dpi
#: for A4): a sheet's QR modules are still 10+ pixels wide there, and reading it is ~20x
#: faster than reading the full 300 dpi page.
FAST_PATH_PIXELS: Final = 1400


def detect_separator(image: Image.Image) -> Separator | None:
    """The separator sheet this page image is, or None for an ordinary page.

    Reads a downscaled grey copy first; only when that finds no ecase code does it try a
    contrast-stretched copy with a global binariser (faint or grey scans), then one with
    a median filter against scanner speckle, and the full resolution only if a damaged QR
    symbol was seen on the way (so an ordinary letter costs three cheap reads). QR codes
    are read in any orientation: upside-down and slightly rotated sheets need no extra
    pass. Codes that are not ecase payloads are ignored; if one page carries conflicting
    case payloads it counts as a plain separator (``kind == "sep"``), so nothing is filed
    into a case by guesswork.
    """
    from PIL import ImageFilter, ImageOps  # noqa: PLC0415  # keeps importing ocr free of image libraries

    grey = _grey(image)
    small = _downscaled(grey, FAST_PATH_PIXELS)
    found, damaged = _read(small, global_binarizer=False)
    if found is not None:
        return found
    stretched = ImageOps.autocontrast(small, cutoff=1)
    for candidate, global_binarizer in (
        (stretched, True),
        (stretched.filter(ImageFilter.MedianFilter(3)), False),
    ):
        found, seen = _read(candidate, global_binarizer=global_binarizer)
        if found is not None:
            return found
        damaged = damaged or seen
    if damaged and small is not grey:
        for global_binarizer in (False, True):
            found, _seen = _read(grey, global_binarizer=global_binarizer)
            if found is not None:
                return found
    return None


def _grey(image: Image.Image) -> Image.Image:
    if image.mode == "L":
        return image
    if image.mode in ("RGBA", "LA", "P", "PA"):
        # transparent areas are paper, not black
        from PIL import Image as PILImage  # noqa: PLC0415  # keeps importing ocr free of image libraries

        rgba = image.convert("RGBA")
        background = PILImage.new("RGBA", rgba.size, "white")
        background.alpha_composite(rgba)
        return background.convert("L")
    return image.convert("L")


def _downscaled(grey: Image.Image, longest: int) -> Image.Image:
    if max(grey.size) <= longest:
        return grey
    factor = longest / max(grey.size)
    size = (max(1, round(grey.width * factor)), max(1, round(grey.height * factor)))
    return grey.resize(size, reducing_gap=2.0)


def _read(image: Image.Image, *, global_binarizer: bool) -> tuple[Separator | None, bool]:
    """The ecase separator among the QR codes zxing reads, and whether a damaged one showed."""
    import zxingcpp  # noqa: PLC0415  # keeps importing ocr free of image libraries

    results = zxingcpp.read_barcodes(
        image,
        formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        try_rotate=True,
        try_downscale=True,
        try_invert=False,
        text_mode=zxingcpp.TextMode.Plain,
        binarizer=(
            zxingcpp.Binarizer.GlobalHistogram
            if global_binarizer
            else zxingcpp.Binarizer.LocalAverage
        ),
        return_errors=True,
    )
    found = _choose(parse_payload(result.text) for result in results if result.valid)
    return found, any(not result.valid for result in results)


def _choose(found: Iterable[Separator | None]) -> Separator | None:
    separators = list(dict.fromkeys(s for s in found if s is not None))
    cases = [s for s in separators if s.kind == "case"]
    if len(cases) == 1:
        return cases[0]
    if len(cases) > 1:
        return Separator("sep", None, "|".join(s.raw for s in cases))
    return separators[0] if separators else None


# --- splitting ---------------------------------------------------------------------------


def split_pages(page_separators: Sequence[Separator | None]) -> list[PlannedDocument]:
    """Plan the documents of a batch from what ``detect_separator`` found on each page.

    Each separator starts a new document with the pages after it; separator pages belong
    to no document. Pages before the first separator form a document without a case; a
    batch without separators is one document. Consecutive separators create no empty
    documents: the last of them decides the next document's case.
    """
    documents: list[PlannedDocument] = []
    pages: list[int] = []
    started_by: Separator | None = None

    def flush() -> None:
        if pages:
            case = started_by.reference if started_by and started_by.kind == "case" else None
            documents.append(PlannedDocument(tuple(pages), case, started_by))

    for number, separator in enumerate(page_separators, start=1):
        if separator is None:
            pages.append(number)
            continue
        flush()
        pages = []
        started_by = separator
    flush()
    return documents


# --- printable sheets --------------------------------------------------------------------

_PAGE_W, _PAGE_H = 595.0, 842.0  # A4 in points
_MARGIN = 56.0
_QR_SIZE = 240.0  # about 85 mm: modules of 3 mm or more, readable from any scan
_TITLE_PT = 36.0
_TITLE_MIN_PT = 14.0
_LINE_PT = 14.0


def render_sheet_pdf(sheets: Sequence[SheetSpec]) -> bytes:
    """An A4 PDF with one separator sheet per page: title, QR code and text lines.

    The QR code is vector (one filled path), the text Helvetica with WinAnsi encoding so
    umlauts extract; characters outside WinAnsi lose their accents (``ễ`` → ``e``).
    """
    if not sheets:
        raise ValueError("no sheets to render")
    for sheet in sheets:
        if parse_payload(sheet.payload) is None:
            raise ValueError(f"{sheet.payload!r} is not a separator payload")
    count = len(sheets)
    # objects: 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info, then page/content
    kids = b" ".join(b"%d 0 R" % (6 + 2 * i) for i in range(count))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title (%s) /Producer (ecase) >>" % pdf_string("Trennblätter"),
    ]
    for i, sheet in enumerate(sheets):
        stream = zlib.compress(_sheet_content(sheet), 9)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>" % (7 + 2 * i)
        )
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)
        )
    return build_pdf(objects, info=5)


def _sheet_content(sheet: SheetSpec) -> bytes:
    ops: list[bytes] = [b"0 g"]
    y = _PAGE_H - _MARGIN
    # title, wrapped and shrunk to the text width
    size, title_lines = _fit(sheet.title, _PAGE_W - 2 * _MARGIN)
    for line in title_lines:
        y -= size
        ops.append(_text(b"/F2", size, _MARGIN, y, line))
        y -= size * 0.25
    # a rule under the title
    y -= 12
    ops.append(b"2 w %.2f %.2f m %.2f %.2f l S" % (_MARGIN, y, _PAGE_W - _MARGIN, y))
    # the QR code, centred, with its quiet zone kept clear
    y -= 36 + _QR_SIZE
    ops.append(_qr_path(sheet.payload, (_PAGE_W - _QR_SIZE) / 2, y, _QR_SIZE))
    y -= 36
    for line in sheet.lines:
        size_line, wrapped = _fit(
            line, _PAGE_W - 2 * _MARGIN, start=_LINE_PT, minimum=_LINE_PT, bold=False
        )
        if not wrapped:  # an empty line is a gap
            y -= size_line * 1.45
        for part in wrapped:
            y -= size_line * 1.45
            if y < _MARGIN + 24:
                break
            ops.append(_text(b"/F1", size_line, _MARGIN, y, part))
    # the payload in small print at the foot, for people checking a sheet by eye
    ops.append(_text(b"/F1", 8.0, _MARGIN, _MARGIN - 20, f"Code: {sheet.payload}"))
    return b"\n".join(ops)


def _text(font: bytes, size: float, x: float, y: float, text: str) -> bytes:
    return b"BT %s %.1f Tf %.2f %.2f Td (%s) Tj ET" % (font, size, x, y, pdf_string(text))


def _qr_path(payload: str, x0: float, y0: float, size: float) -> bytes:
    import segno  # noqa: PLC0415  # keeps importing ocr free of image libraries

    rows = [list(row) for row in segno.make(payload, error="h").matrix_iter(border=0)]
    module = size / len(rows)
    parts: list[bytes] = []
    for r, row in enumerate(rows):
        y = y0 + size - (r + 1) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            parts.append(
                b"%.3f %.3f %.3f %.3f re" % (x0 + start * module, y, (c - start) * module, module)
            )
    return b"\n".join([*parts, b"f"])


def _fit(
    text: str,
    width: float,
    *,
    start: float = _TITLE_PT,
    minimum: float = _TITLE_MIN_PT,
    bold: bool = True,
) -> tuple[float, list[str]]:
    """A font size and the lines ``text`` wraps into at it (no word wider than ``width``)."""
    words = text.split()
    if not words:
        return start, []
    size = start
    while size > minimum and max(_width(w, size, bold=bold) for w in words) > width:
        size -= 1.0
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if current and _width(candidate, size, bold=bold) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return size, lines


def _afm_widths(numbers: str) -> tuple[int, ...]:
    return tuple(int(n) for n in numbers.split())


# Advance widths (1/1000 em) of ASCII 32..126 in Helvetica and Helvetica-Bold, from Adobe's
# Core 14 AFM files; other letters take their base letter's width (ä as a), else 667.
_HELVETICA: Final = _afm_widths(
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 "
    "556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 "
    "556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 "
    "500 500 500 334 260 334 584"
)
_HELVETICA_BOLD: Final = _afm_widths(
    "278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 "
    "611 833 722 778 667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 "
    "611 556 611 556 333 611 611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 "
    "556 556 500 389 280 389 584"
)


def _width(text: str, size: float, *, bold: bool) -> float:
    """``text``'s width in points when set in Helvetica (or its bold) at ``size``."""
    table = _HELVETICA_BOLD if bold else _HELVETICA
    total = 0
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)[:1] or ch
        code = ord(base)
        total += table[code - 32] if 32 <= code < 127 else 667
    return total * size / 1000
