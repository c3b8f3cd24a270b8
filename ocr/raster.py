"""Page images for OCR: PDF pages rendered by PDFium, image files decoded by Pillow, bounded.

PDFium (pypdfium2) renders rather than poppler's ``pdftoppm`` because it is a wheel with
no system dependency, renders in-process into memory (no PPM files, no process per page)
and is faster; it is not thread-safe, so callers serialise rendering.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pypdfium2
import pypdfium2.raw as pypdfium2_raw
from PIL import Image, ImageOps

from .errors import CorruptDocumentError, ResourceLimitError

__all__ = [
    "ImageFrames",
    "PageImage",
    "PdfRenderer",
    "guard_pillow",
    "normalise_mode",
]

_GREY_BITMAP = pypdfium2_raw.FPDFBitmap_Gray

_PIL_FORMATS = {"image/tiff": "TIFF", "image/png": "PNG", "image/jpeg": "JPEG"}

#: Resolutions outside this range in an image's metadata are taken as wrong (72 dpi from
#: cameras, 1 dpi from broken writers); the configured dpi is assumed instead.
_PLAUSIBLE_DPI = (100.0, 1200.0)

_IMAGE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, KeyError)


@dataclass(frozen=True, slots=True)
class PageImage:
    """A page ready for tesseract: pixels in mode 1, L or RGB, and their resolution."""

    image: Image.Image
    dpi: float


def guard_pillow(max_pixels: int) -> None:
    """Make Pillow refuse images above ``max_pixels`` instead of only warning.

    Process-global, so it runs once in the sandboxed child, never in the app.
    """
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)


def normalise_mode(image: Image.Image) -> Image.Image:
    """Convert to a mode tesseract reads faithfully (1, L or RGB); alpha becomes white paper."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, (255, 255, 255))
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    if image.mode.startswith("I") or image.mode == "F":
        # 16/32-bit scans: stretch the used range onto 8 bits instead of clipping to white
        wide = image.convert("F")
        low, high = cast("tuple[float, float]", wide.getextrema())
        span = high - low or 1.0
        return wide.point(lambda v: (v - low) * 255.0 / span).convert("L")
    return image.convert("RGB")


class PdfRenderer:
    """Renders pages of one PDF in grayscale; tesseract binarises anyway, and grey is a
    third of the memory and time of colour. Not thread-safe."""

    def __init__(self, source: Path, *, dpi: int, max_pixels: int):
        self._dpi = dpi
        self._max_pixels = max_pixels
        try:
            self._doc: Any = pypdfium2.PdfDocument(source)
            # filled-in form fields are page content a clerk wants to find
            self._doc.init_forms()
        except pypdfium2.PdfiumError as exc:
            raise CorruptDocumentError(
                "Die PDF-Datei ist beschädigt und kann nicht dargestellt werden.",
                detail=repr(exc),
            ) from exc

    def __len__(self) -> int:
        return len(self._doc)

    def close(self) -> None:
        self._doc.close()

    def render(self, index: int) -> PageImage:
        try:
            page = self._doc[index]
            try:
                width, height = page.get_size()
                scale = self._dpi / 72.0
                area = max(float(width) * float(height), 1.0)
                if area * scale * scale > self._max_pixels:
                    # huge formats (plans, posters) are read at a lower resolution, not refused
                    scale = math.sqrt(self._max_pixels / area)
                # a grey target bitmap renders 4x faster than pdfium's grayscale flag, with
                # the same pixels
                bitmap = page.render(
                    scale=scale, may_draw_forms=True, force_bitmap_format=_GREY_BITMAP
                )
                try:
                    image: Image.Image = bitmap.to_pil().copy()
                finally:
                    bitmap.close()
            finally:
                page.close()
        except (pypdfium2.PdfiumError, ValueError) as exc:
            raise CorruptDocumentError(
                f"Seite {index + 1} der PDF-Datei ist beschädigt und kann nicht dargestellt "
                "werden.",
                detail=repr(exc),
            ) from exc
        return PageImage(image=image, dpi=scale * 72.0)


class ImageFrames:
    """The pages of an image file: the frames of a TIFF, the single picture of PNG/JPEG.

    Only the Pillow plugin matching the sniffed type is allowed, so a file cannot steer
    Pillow into another decoder (EPS would even start Ghostscript). Not thread-safe.
    """

    def __init__(self, source: Path, media_type: str, *, default_dpi: int, max_pixels: int):
        self._default_dpi = default_dpi
        self._max_pixels = max_pixels
        with _image_errors():
            self._image = Image.open(source, formats=[_PIL_FORMATS[media_type]])
            # APNG frames are animation, not pages; only TIFF pages count
            self._count = getattr(self._image, "n_frames", 1) if media_type == "image/tiff" else 1

    def check_sizes(self) -> None:
        """Refuse oversized pages before any OCR time is spent (reads headers only)."""
        with _image_errors():
            for index in range(self._count):
                self._image.seek(index)
                width, height = self._image.size
                if width * height > self._max_pixels:
                    raise _too_large(width, height, self._max_pixels)
            self._image.seek(0)

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        self._image.close()

    def render(self, index: int) -> PageImage:
        with _image_errors(index):
            # always seek: pages are rendered in whatever order the OCR threads ask
            self._image.seek(index)
            width, height = self._image.size
            if width * height > self._max_pixels:
                # Pillow checks the first frame only
                raise _too_large(width, height, self._max_pixels)
            self._image.load()
            dpi = _dpi_of(self._image, self._default_dpi)
            image = normalise_mode(ImageOps.exif_transpose(self._image))
            if image is self._image:
                image = image.copy()
        return PageImage(image=image, dpi=dpi)


def _dpi_of(image: Image.Image, default: int) -> float:
    raw = image.info.get("dpi")
    try:
        dpi = float(raw[0]) if raw else 0.0
    except (TypeError, ValueError, IndexError):
        dpi = 0.0
    return dpi if _PLAUSIBLE_DPI[0] <= dpi <= _PLAUSIBLE_DPI[1] else float(default)


def _too_large(width: int, height: int, limit: int) -> ResourceLimitError:
    return ResourceLimitError(
        f"Das Bild ist mit {width} × {height} Pixeln zu groß; erlaubt sind "
        f"{limit / 1e6:.0f} Millionen Pixel. Bitte mit höchstens 300 dpi scannen.",
        code="image_too_large",
    )


@contextmanager
def _image_errors(index: int | None = None) -> Iterator[None]:
    where = "Die Bilddatei" if index is None else f"Seite {index + 1} der Bilddatei"
    try:
        yield
    except ResourceLimitError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ResourceLimitError(
            f"{where} ist zu groß (mehr als {Image.MAX_IMAGE_PIXELS or 0:,} Pixel) und "
            "wird als mögliche Dekomprimierungsbombe abgelehnt.".replace(",", "."),
            code="image_too_large",
            detail=repr(exc),
        ) from exc
    except MemoryError:
        raise
    except _IMAGE_ERRORS as exc:
        raise CorruptDocumentError(
            f"{where} ist beschädigt oder unvollständig und kann nicht gelesen werden.",
            detail=repr(exc),
        ) from exc
