"""A morning's scan batch, generated: letters, separator sheets, a page upside down, stray codes."""

from __future__ import annotations

from PIL import Image

from ocr import samples
from ocr.batch_samples import letter_page, sheet_page

UNKNOWN_REFERENCE = "MA-9999-2026-99999"
FOREIGN_QR = "https://www.landkreis-musterkreis.de/termin?id=4711"


def morning_batch(reference: str, *, dpi: int = 150) -> list[Image.Image]:
    """Nine pages; with ``split_pages`` they give four documents:

    1 letter (before any sheet: Posteingang) | 2 sheet for ``reference`` | 3-4 letter for it,
    page 4 upside down | 5 sheet naming an unknown Aktenzeichen | 6 letter with a payment
    QR code of its own | 7 generic sheet | 8-9 letter.
    """
    return [
        letter_page(page=1, dpi=dpi),
        sheet_page(reference, dpi=dpi),
        letter_page(page=1, dpi=dpi),
        letter_page(page=2, dpi=dpi, upside_down=True),
        sheet_page(UNKNOWN_REFERENCE, dpi=dpi),
        letter_page(page=1, dpi=dpi, qr_text=FOREIGN_QR),
        sheet_page(None, dpi=dpi),
        letter_page(page=1, dpi=dpi),
        letter_page(page=2, dpi=dpi),
    ]


def as_pdf(pages: list[Image.Image], dpi: int = 150) -> bytes:
    return samples.image_pdf(pages, dpi=dpi)


def as_tiff(pages: list[Image.Image], dpi: int = 150) -> bytes:
    return samples.tiff(pages, dpi=dpi)
