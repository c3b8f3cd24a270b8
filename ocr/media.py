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


def detect_media_type(head: bytes) -> str:
    """Return the media type of a file from its first bytes (``HEAD_BYTES`` suffice).

    Raises ``UnsupportedMediaTypeError`` for anything but PDF, TIFF, PNG and JPEG.
    """
    for magic, media_type in _SIGNATURES:
        if head.startswith(magic):
            return media_type
    # Readers accept a PDF header anywhere in the first KiB (ISO 32000-2, annex H), and
    # some scanners and mail gateways do prepend junk.
    if b"%PDF-" in head[:HEAD_BYTES]:
        return "application/pdf"
    raise UnsupportedMediaTypeError(
        "Das Dateiformat wird nicht unterstützt. Erlaubt sind PDF, TIFF, PNG und JPEG."
        if head
        else "Die Datei ist leer.",
        code="unsupported_media_type" if head else "empty",
    )
