"""Plain A4 text reports as PDF (scan protocols): headings, wrapped lines, numbered pages.

Written by hand with the standard Helvetica fonts, like the separator sheets: no PDF
library, and every character is extractable text (WinAnsi; others lose their accents).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from .pdfwrite import build_pdf, pdf_string
from .separators import _width

__all__ = ["ReportSection", "render_report_pdf"]

_PAGE_W, _PAGE_H = 595.0, 842.0
_MARGIN = 50.0
_TITLE_PT = 16.0
_HEADING_PT = 11.0
_BODY_PT = 9.0
_LEADING = 1.4


@dataclass(frozen=True, slots=True)
class ReportSection:
    heading: str
    lines: tuple[str, ...]


def render_report_pdf(title: str, sections: Sequence[ReportSection], *, footer: str = "") -> bytes:
    """An A4 PDF: ``title`` on the first page, then each section's heading and lines.

    Lines wider than the text column wrap at spaces; a word wider than the column (a long
    hash) is kept whole. Each page carries ``footer`` and "Seite n von m".
    """
    width = _PAGE_W - 2 * _MARGIN
    # (font, size, text) per line, laid out into pages afterwards
    items: list[tuple[bytes, float, str]] = [(b"/F2", _TITLE_PT, title), (b"/F1", _BODY_PT, "")]
    for section in sections:
        items.append((b"/F2", _HEADING_PT, section.heading))
        for line in section.lines:
            for part in _wrap(line, width) or [""]:
                items.append((b"/F1", _BODY_PT, part))
        items.append((b"/F1", _BODY_PT, ""))
    pages: list[list[bytes]] = [[]]
    y = _PAGE_H - _MARGIN
    for font, size, text in items:
        step = size * _LEADING + (4.0 if font == b"/F2" else 0.0)
        if y - step < _MARGIN + 20 and pages[-1]:
            pages.append([])
            y = _PAGE_H - _MARGIN
        y -= step
        if text:
            pages[-1].append(_text(font, size, _MARGIN, y, text))
    count = len(pages)
    kids = b" ".join(b"%d 0 R" % (6 + 2 * i) for i in range(count))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title (%s) /Producer (ecase) >>" % pdf_string(title),
    ]
    for number, ops in enumerate(pages, start=1):
        foot = f"{footer} – Seite {number} von {count}" if footer else f"Seite {number} von {count}"
        content = zlib.compress(
            b"0 g\n" + b"\n".join([*ops, _text(b"/F1", 8.0, _MARGIN, 30, foot)])
        )
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (5 + 2 * number)
        )
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
            % (len(content), content)
        )
    return build_pdf(objects, info=5)


def _wrap(text: str, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and _width(candidate, _BODY_PT, bold=False) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _text(font: bytes, size: float, x: float, y: float, text: str) -> bytes:
    return b"BT %s %.1f Tf %.2f %.2f Td (%s) Tj ET" % (font, size, x, y, pdf_string(text))
