"""Writing small PDFs by hand (objects, xref, trailer): no PDF library needed to import it."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["build_pdf", "pdf_string"]


def build_pdf(objects: Sequence[bytes], *, root: int = 1, info: int | None = None) -> bytes:
    """A PDF from raw object bodies (object n is ``objects[n-1]``), with a correct xref."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    info_ref = b" /Info %d 0 R" % info if info is not None else b""
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        info_ref,
        xref,
    )
    return bytes(out)


def pdf_string(text: str) -> bytes:
    """Text as a PDF literal string in WinAnsi; other letters lose accents, else become '?'."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("cp1252", "ignore")
            out += base or b"?"
    return bytes(out).replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
