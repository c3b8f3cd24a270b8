"""Assembling the searchable PDF from tesseract's page PDFs and the original's pages.

For PDF input the original page is kept (its own image, compression and any vector
content) and tesseract's invisible text is laid over it; that is smaller and more faithful
than replacing the page by a re-encoded render. For image input tesseract's page (image
plus text) is the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pypdf
from pypdf import PageObject, Transformation

from .engine import OcrPage

__all__ = ["overlay_transform", "write_image_pdf", "write_overlaid_pdf"]


def write_image_pdf(pages: Sequence[OcrPage], target: Path) -> Path:
    """Concatenate tesseract's one-page PDFs (image plus text layer) into ``target``."""
    writer = pypdf.PdfWriter()
    for page in pages:
        writer.append(page.pdf)
    _write(writer, target)
    return target


def write_overlaid_pdf(
    original: pypdf.PdfReader, ocr_pages: Mapping[int, OcrPage], target: Path
) -> Path:
    """Copy ``original`` and lay each OCR page's invisible text over its page (by index).

    A page that OCR turned upright gets a matching ``/Rotate`` so it displays upright too.
    """
    writer = pypdf.PdfWriter(clone_from=original)
    for index, ocr in sorted(ocr_pages.items()):
        page = writer.pages[index]
        text_page = pypdf.PdfReader(ocr.pdf).pages[0]
        rotation = (_rotation(page) + ocr.rotation) % 360
        page.merge_transformed_page(text_page, overlay_transform(page, text_page, rotation))
        page.rotation = rotation
    _write(writer, target)
    return target


def overlay_transform(page: PageObject, overlay: PageObject, rotation: int) -> Transformation:
    """Map ``overlay`` (drawn upright, as displayed) onto ``page``'s unrotated user space.

    ``rotation`` is the clockwise ``/Rotate`` the page will be displayed with; the overlay
    is stretched to the page's crop box as displayed.
    """
    box = page.cropbox
    x0, y0 = float(min(box.left, box.right)), float(min(box.bottom, box.top))
    w, h = float(abs(box.width)), float(abs(box.height))
    ow, oh = float(overlay.mediabox.width) or 1.0, float(overlay.mediabox.height) or 1.0
    if rotation in (90, 270):
        sx, sy = h / ow, w / oh
    else:
        sx, sy = w / ow, h / oh
    # ctm (a, b, c, d, e, f): x' = a*x + c*y + e, y' = b*x + d*y + f; each case inverts
    # the viewer's turn of the page by `rotation` degrees clockwise
    ctm = {
        0: (sx, 0.0, 0.0, sy, x0, y0),
        90: (0.0, sx, -sy, 0.0, x0 + w, y0),
        180: (-sx, 0.0, 0.0, -sy, x0 + w, y0 + h),
        270: (0.0, -sx, sy, 0.0, x0, y0 + h),
    }[rotation]
    return Transformation(ctm)


def _rotation(page: PageObject) -> int:
    try:
        return int(page.rotation) % 360 // 90 * 90
    except (TypeError, ValueError):
        return 0


def _write(writer: pypdf.PdfWriter, target: Path) -> None:
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as stream:
        writer.write(stream)
    partial.replace(target)
