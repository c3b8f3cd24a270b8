"""Realistic scanned batches for tests and benchmarks: letters, separator sheets, stray codes.

A page is an image as the scanner delivers it; ``samples.image_pdf`` and ``samples.tiff``
turn a list of pages into the file the scanner writes into the hot folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .samples import letter_lines, render_page
from .separators import SEPARATOR_PAYLOAD, SheetSpec, case_payload, render_sheet_pdf

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["letter_page", "sheet_page"]


def sheet_page(reference: str | None = None, *, dpi: int = 150) -> Image.Image:
    """A printed separator sheet as scanned: for ``reference``'s case file, else generic."""
    import pypdfium2  # noqa: PLC0415  # keeps importing ocr free of image libraries

    payload = SEPARATOR_PAYLOAD if reference is None else case_payload(reference)
    title = "TRENNBLATT" if reference is None else f"TRENNBLATT – Akte {reference}"
    pdf = pypdfium2.PdfDocument(render_sheet_pdf([SheetSpec(payload, title)]))
    try:
        page = pdf[0]
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        image: Image.Image = bitmap.to_pil().convert("L")
        page.close()
    finally:
        pdf.close()
    image.info["dpi"] = (dpi, dpi)
    return image


def letter_page(
    lines: Sequence[str] | None = None,
    *,
    page: int = 1,
    dpi: int = 150,
    upside_down: bool = False,
    qr_text: str | None = None,
    damaged_qr: bool = False,
) -> Image.Image:
    """A typed letter page; optionally turned 180° or carrying a QR code of its own.

    ``qr_text`` prints a code in the lower right corner (a payment code, a web link); with
    ``damaged_qr`` a third of it is blotted out, as a coffee stain or a fold would.
    """
    image = render_page(list(lines) if lines is not None else letter_lines(page), dpi=dpi)
    if qr_text is not None:
        import segno  # noqa: PLC0415  # keeps importing ocr free of image libraries
        from PIL import ImageDraw  # noqa: PLC0415

        scale = max(2, dpi // 30)
        code = segno.make(qr_text, error="l")
        size = int(code.symbol_size(scale=scale)[0])
        from io import BytesIO  # noqa: PLC0415

        buffer = BytesIO()
        code.save(buffer, kind="png", scale=scale)
        from PIL import Image as PILImage  # noqa: PLC0415

        symbol = PILImage.open(buffer).convert("L")
        x, y = image.width - size - dpi // 2, image.height - size - dpi // 2
        image.paste(symbol, (x, y))
        if damaged_qr:
            ImageDraw.Draw(image).rectangle(
                (x + size // 4, y + size // 3, x + size - size // 4, y + size // 2 + size // 6),
                fill="white",
            )
    if upside_down:
        image = image.rotate(180)
    image.info["dpi"] = (dpi, dpi)
    return image
