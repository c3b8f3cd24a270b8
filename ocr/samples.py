"""Synthetic scans and PDFs, so tests and benchmarks need no binary fixtures in the repo.

Besides well-formed letters this builds the hostile and broken files the extractor must
survive: a circular page tree, a decompression bomb, truncated and encrypted PDFs. It
loads Pillow and pypdf, so the app imports it only from tests and benchmarks.
"""

from __future__ import annotations

import io
import struct
import textwrap
import zlib
from collections.abc import Sequence
from pathlib import Path

import pypdf
from PIL import Image, ImageDraw, ImageFont

from .pdfwrite import build_pdf, pdf_string

__all__ = [
    "A4_INCHES",
    "LETTER_PARAGRAPHS",
    "build_pdf",
    "circular_page_tree_pdf",
    "decompression_bomb_png",
    "encrypt_pdf",
    "find_font",
    "image_pdf",
    "letter_lines",
    "merge_pdfs",
    "render_page",
    "text_pdf",
    "tiff",
]

A4_INCHES = (8.27, 11.69)

LETTER_PARAGRAPHS = (
    "Sehr geehrte Frau Müller, wir bestätigen den Eingang Ihres Antrags auf Erteilung "
    "einer Aufenthaltserlaubnis vom 14. März.",
    "Bitte reichen Sie bis zum Ende des Monats folgende Unterlagen ein: einen gültigen "
    "Reisepass, ein aktuelles biometrisches Lichtbild und eine Meldebescheinigung für "
    "Ihre Wohnung in der Goethestraße 12.",
    "Die Ausländerbehörde weist darauf hin, dass unvollständige Anträge nicht bearbeitet "
    "werden können. Für Rückfragen erreichen Sie uns montags bis freitags.",
    "Mit freundlichen Grüßen, im Auftrag Schäfer, Landratsamt Musterkreis.",
)

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
)


def find_font() -> Path | None:
    """A TrueType font with German letters installed on this machine, if any."""
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def letter_lines(page: int = 1, *, width: int = 60, paragraphs: int = 4) -> list[str]:
    """Lines of a German letter from the migration office, headed with its page number."""
    lines = [f"Landratsamt Musterkreis, Seite {page}", ""]
    for paragraph in LETTER_PARAGRAPHS[:paragraphs]:
        lines += [*textwrap.wrap(paragraph, width), ""]
    return lines


def render_page(
    lines: Sequence[str],
    *,
    dpi: int = 300,
    size_inches: tuple[float, float] = A4_INCHES,
    font_pt: float = 12.0,
    margin_inches: float = 0.8,
    mode: str = "L",
) -> Image.Image:
    """Typeset ``lines`` on a white page as a scanner at ``dpi`` would deliver it."""
    width, height = round(size_inches[0] * dpi), round(size_inches[1] * dpi)
    image = Image.new(mode, (width, height), "white")
    draw = ImageDraw.Draw(image)
    size_px = font_pt / 72 * dpi
    path = find_font()
    font = (
        ImageFont.truetype(str(path), round(size_px))
        if path
        else ImageFont.load_default(size=size_px)
    )
    x = y = round(margin_inches * dpi)
    for line in lines:
        draw.text((x, y), line, fill="black", font=font)
        y += round(size_px * 1.5)
    image.info["dpi"] = (dpi, dpi)
    return image


def image_pdf(images: Sequence[Image.Image], *, dpi: int = 300) -> bytes:
    """An image-only PDF, one page per image, as a scanner without OCR writes it."""
    out = io.BytesIO()
    first, *rest = _fresh(images)
    first.save(out, format="PDF", resolution=float(dpi), save_all=True, append_images=rest)
    return out.getvalue()


def tiff(images: Sequence[Image.Image], *, dpi: int = 300, compression: str = "tiff_lzw") -> bytes:
    """A (multi-page) TIFF; use ``group4`` with mode-1 images for fax-style scans."""
    out = io.BytesIO()
    first, *rest = _fresh(images)
    first.save(
        out,
        format="TIFF",
        dpi=(dpi, dpi),
        compression=compression,
        save_all=True,
        append_images=rest,
    )
    return out.getvalue()


def text_pdf(pages: Sequence[Sequence[str]], *, font_pt: float = 11.0) -> bytes:
    """A born-digital PDF: each page's lines in Helvetica (WinAnsi, so umlauts work)."""
    page_count = len(pages)
    font_obj = 3 + 2 * page_count
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(page_count))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, page_count),
    ]
    leading = font_pt * 1.4
    for i, lines in enumerate(pages):
        ops = [b"BT", b"/F1 %.1f Tf" % font_pt, b"%.1f TL" % leading, b"56 780 Td"]
        ops += [b"(%s) '" % pdf_string(line) for line in lines]
        ops.append(b"ET")
        stream = b"\n".join(ops)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font_obj, 4 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    return build_pdf(objects)


def merge_pdfs(parts: Sequence[bytes]) -> bytes:
    """All pages of ``parts`` in order, e.g. a typed letter followed by a scanned enclosure."""
    writer = pypdf.PdfWriter()
    for part in parts:
        writer.append(pypdf.PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypt_pdf(pdf: bytes, *, user_password: str, owner_password: str) -> bytes:
    """``pdf`` encrypted with AES-256; an empty ``user_password`` opens without asking."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password, owner_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def circular_page_tree_pdf() -> bytes:
    """A PDF whose page tree node lists its own ancestor as a kid (an endless loop)."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 2 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 4 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>",
        ]
    )


def decompression_bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A tiny PNG that claims ``width`` × ``height`` pixels (1 bit each).

    Only the first rows are present: a reader that allocates before checking is caught
    by the size in the header alone.
    """
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * ((width + 7) // 8 + 1) * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def _fresh(images: Sequence[Image.Image]) -> list[Image.Image]:
    # Pillow leaves a multi-frame save's options on the appended images, where they
    # break the next save in another format
    return [image.copy() for image in images]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
