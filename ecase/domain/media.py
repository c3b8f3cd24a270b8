"""Which files ecase accepts, decided from their first bytes, never from names or headers."""

from __future__ import annotations

from ecase.domain.errors import UnsupportedMediaError

SNIFF_BYTES = 1024
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/tiff": ".tif",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}


def sniff_media_type(head: bytes) -> str:
    """Return the media type of an accepted file, or raise with a message a clerk can act on."""
    # Some scanners put a few bytes of garbage before the PDF header; readers accept that.
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    raise UnsupportedMediaError(
        "This file type is not accepted. Please upload PDF, TIFF, PNG or JPEG files."
    )
