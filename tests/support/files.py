"""Small, valid files generated in code so tests never depend on shipped binaries."""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

from ocr.samples import build_pdf, render_page


def minimal_pdf(text: str = "Hallo ecase") -> bytes:
    """A one-page PDF with a real text layer and nothing else, small enough to read."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return build_pdf(objects)


def tiny_png() -> bytes:
    """A 1x1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    pixels = zlib.compress(b"\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def scanned_png(lines: Sequence[str], *, dpi: int = 200) -> bytes:
    """A page as a scanner delivers it: an image with no text layer, for tesseract to read."""
    out = io.BytesIO()
    render_page(lines, dpi=dpi, font_pt=16.0).save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
