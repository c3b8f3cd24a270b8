"""Media-type sniffing from content, because names and declared types of uploads lie."""

from __future__ import annotations

from .errors import UnsupportedMediaTypeError

__all__ = ["HEAD_BYTES", "SUPPORTED_MEDIA_TYPES", "detect_media_type"]

#: How many leading bytes ``detect_media_type`` looks at.
HEAD_BYTES = 1024

SUPPORTED_MEDIA_TYPES = ("application/pdf", "image/tiff", "image/png", "image/jpeg")

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),  # BigTIFF, written by some scanners for large batches
    (b"MM\x00+", "image/tiff"),
)


# PDF white-space (ISO 32000-2, 7.2.3) minus NUL: a run of NULs is padding or a damaged
# transfer, not something a producer writes before the header.
_PDF_LEADING_WHITESPACE = b" \t\n\r\f"


def detect_media_type(head: bytes) -> str:
    """Return the media type of a file from its first bytes (``HEAD_BYTES`` suffice).

    Images are known by their magic number at offset 0. A PDF is one only when ``%PDF-``
    opens the file, after at most PDF white-space (space, tab, CR, LF, FF) and within the
    first ``HEAD_BYTES``; a byte-order mark, NULs or any other byte before it refuse the
    file, also from a gateway that prepends junk. Readers are laxer: Acrobat documents a
    header anywhere in the first KiB (PDF Reference 1.7, appendix H, note 13), pdf.js and
    PDFium search ahead likewise. That laxness is what makes ``<html><script>…%PDF-1.7``
    a polyglot, a page to a browser and a PDF to a reader. With only white-space allowed
    in front, no tag can precede the header, a browser's own sniffer (WHATWG MIME
    Sniffing skips the same white-space before looking for ``<``) cannot take the file
    for HTML, XML or SVG, and every header accepted here sits where all readers look.

    Raises ``UnsupportedMediaTypeError`` for anything but PDF, TIFF, PNG and JPEG.
    """
    for magic, media_type in _SIGNATURES:
        if head.startswith(magic):
            return media_type
    if head[:HEAD_BYTES].lstrip(_PDF_LEADING_WHITESPACE).startswith(b"%PDF-"):
        return "application/pdf"
    raise UnsupportedMediaTypeError(
        "Das Dateiformat wird nicht unterstützt. Erlaubt sind PDF, TIFF, PNG und JPEG."
        if head
        else "Die Datei ist leer.",
        code="unsupported_media_type" if head else "empty",
    )
