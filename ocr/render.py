"""Page images for reading on screen: every page of a file as a small WebP and a thumbnail.

The web process never renders an untrusted file: ``PdfiumPageRenderer`` runs the work in
the sandboxed child (``run_on_file``), which writes the images into the caller's
workdir and answers with their names and sizes in JSON. Pages are rendered as displayed
(PDF ``/Rotate`` honoured, EXIF orientation of photos applied), so the word boxes of the
OCR, which are fractions of the page as displayed, line up with the images.

WebP rather than JPEG or PNG: a scanned A4 letter at 1200 px width is about 40 KB as WebP
(quality 60), 74 KB as JPEG (quality 70) and 91 KB as PNG, and every browser the office
uses decodes it. Colour is kept (passport copies, stamps); WebP stores the flat chroma of
grey pages almost for free.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import CorruptDocumentError, ExtractionError, ResourceLimitError
from .model import Limits
from .sandbox import extend_deadline, run_on_file

__all__ = [
    "IMAGE_MEDIA_TYPE",
    "FakePageRenderer",
    "PageRenderer",
    "PdfiumPageRenderer",
    "RenderedDocument",
    "RenderedPage",
    "render_json",
]

IMAGE_MEDIA_TYPE = "image/webp"
#: Wide enough for a 1920 px screen showing the page beside its text, and for reading
#: small print at 100 %; twice that would quadruple every page's bytes on a VPN line.
DEFAULT_WIDTH = 1200
DEFAULT_THUMB_WIDTH = 180
DEFAULT_QUALITY = 60
#: Rendering and encoding a page takes about 0.1 s; the budget leaves room for slow disks.
SECONDS_PER_PAGE = 2.0


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """One page as displayed: ``image`` and ``thumb`` are WebP files in the caller's workdir."""

    number: int
    width: int
    height: int
    image: Path
    thumb: Path
    thumb_width: int
    thumb_height: int


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    media_type: str
    pages: tuple[RenderedPage, ...]


class PageRenderer(Protocol):
    """Port: turn an untrusted PDF or image file into screen images of its pages.

    ``render`` MUST NOT modify ``source``; it MUST write only into ``workdir``; it MUST
    return pages numbered 1..n in order, each with an image and a thumbnail as files in
    ``workdir``; it MUST raise only ``ExtractionError`` subclasses for problems of the file
    or the engine. Images SHOULD show the page as displayed (rotation applied).
    """

    def render(self, source: Path, workdir: Path) -> RenderedDocument: ...


class PdfiumPageRenderer:
    """``PageRenderer`` with PDFium for PDFs and Pillow for images, in the sandbox."""

    def __init__(
        self,
        *,
        width: int = DEFAULT_WIDTH,
        thumb_width: int = DEFAULT_THUMB_WIDTH,
        quality: int = DEFAULT_QUALITY,
        limits: Limits | None = None,
    ) -> None:
        if not (100 <= width <= 4000 and 32 <= thumb_width <= width and 1 <= quality <= 100):
            raise ValueError("width 100..4000, thumb_width 32..width, quality 1..100")
        self.width = width
        self.thumb_width = thumb_width
        self.quality = quality
        self.limits = limits or Limits()

    def render(self, source: Path, workdir: Path) -> RenderedDocument:
        options = {
            "width": self.width,
            "thumb_width": self.thumb_width,
            "quality": self.quality,
            "max_pages": self.limits.max_pages,
            "max_pixels": self.limits.max_pixels,
        }
        return run_on_file(
            "ocr.render:render_json",
            source,
            workdir,
            options,
            limits=self.limits,
            max_extension_s=self.limits.max_pages * SECONDS_PER_PAGE,
            parse=_document_from_json,
            unusable="Die Seitenbilder waren unbrauchbar und wurden verworfen.",
        )


class FakePageRenderer:
    """``PageRenderer`` that parses nothing: ``pages`` placeholder images of a fixed size.

    For the app's tests, where what matters is the bookkeeping around the images, not
    their pixels. ``error`` is raised instead when set; ``calls`` records the sources.
    """

    def __init__(
        self,
        pages: int = 1,
        *,
        size: tuple[int, int] = (1200, 1697),
        error: ExtractionError | None = None,
    ) -> None:
        self.pages = pages
        self.size = size
        self.error = error
        self.calls: list[Path] = []

    def render(self, source: Path, workdir: Path) -> RenderedDocument:
        self.calls.append(Path(source))
        if self.error is not None:
            raise self.error
        workdir.mkdir(parents=True, exist_ok=True)
        width, height = self.size
        thumb_height = max(1, round(height * DEFAULT_THUMB_WIDTH / width))
        pages = []
        for number in range(1, self.pages + 1):
            image, thumb = workdir / f"page-{number}.webp", workdir / f"thumb-{number}.webp"
            image.write_bytes(b"RIFF-fake-webp-page-%d" % number)
            thumb.write_bytes(b"RIFF-fake-webp-thumb-%d" % number)
            pages.append(
                RenderedPage(number, width, height, image, thumb, DEFAULT_THUMB_WIDTH, thumb_height)
            )
        return RenderedDocument(IMAGE_MEDIA_TYPE, tuple(pages))


# ------------------------------------------------------------------ parent-side validation


def _document_from_json(data: object, workdir: Path) -> RenderedDocument:
    """Rebuild the child's answer, trusting nothing: files must lie inside ``workdir``."""
    if not isinstance(data, dict) or not isinstance(data.get("pages"), list):
        raise ValueError("expected {pages: [...]}")
    root = workdir.resolve()
    pages = []
    for expected, raw in enumerate(data["pages"], start=1):
        if not isinstance(raw, dict):
            raise ValueError("expected a page object")
        numbers = [raw[k] for k in ("number", "width", "height", "thumb_width", "thumb_height")]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in numbers):
            raise ValueError("page numbers and sizes must be positive integers")
        if raw["number"] != expected:
            raise ValueError("pages are not numbered 1..n")
        files = [(root / str(raw[k])).resolve() for k in ("image", "thumb")]
        for path in files:
            # a compromised child must not smuggle other files into the blob store
            if path.parent != root or not path.is_file():
                raise ValueError("page image is not a file inside workdir")
        pages.append(
            RenderedPage(
                expected,
                raw["width"],
                raw["height"],
                files[0],
                files[1],
                raw["thumb_width"],
                raw["thumb_height"],
            )
        )
    return RenderedDocument(IMAGE_MEDIA_TYPE, tuple(pages))


# --------------------------------------------------------------------- sandboxed child side


def render_json(request: dict[str, Any]) -> dict[str, Any]:
    """Sandbox entry point: render every page into ``workdir``; JSON in, JSON out."""
    from PIL import Image  # noqa: PLC0415 - image libraries load only in the child

    from .raster import ImageFrames, guard_pillow  # noqa: PLC0415 - loads pypdfium2 and Pillow

    max_pixels = int(request["max_pixels"])
    guard_pillow(max_pixels)
    workdir = Path(str(request["outdir"]))
    source = Path(str(request["source"]))
    media_type = str(request["media_type"])
    width, thumb_width = int(request["width"]), int(request["thumb_width"])
    quality = int(request["quality"])

    def save(number: int, image: Image.Image) -> dict[str, Any]:
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        image.save(workdir / f"page-{number}.webp", format="WEBP", quality=quality, method=4)
        thumb = image.copy()
        thumb.thumbnail((thumb_width, thumb_width * 8), Image.Resampling.LANCZOS)
        thumb.save(workdir / f"thumb-{number}.webp", format="WEBP", quality=quality, method=4)
        return {
            "number": number,
            "width": image.width,
            "height": image.height,
            "image": f"page-{number}.webp",
            "thumb": f"thumb-{number}.webp",
            "thumb_width": thumb.width,
            "thumb_height": thumb.height,
        }

    pages: list[dict[str, Any]] = []
    if media_type == "application/pdf":
        pages = _render_pdf(
            source, save, width=width, max_pixels=max_pixels, max_pages=int(request["max_pages"])
        )
    else:
        frames = ImageFrames(source, media_type, default_dpi=300, max_pixels=max_pixels)
        try:
            frames.check_sizes()
            _check_page_count(len(frames), int(request["max_pages"]))
            extend_deadline(len(frames) * SECONDS_PER_PAGE)
            for index in range(len(frames)):
                image = frames.render(index).image
                if image.width > width:
                    height = max(1, round(image.height * width / image.width))
                    image = image.resize((width, height), Image.Resampling.LANCZOS)
                pages.append(save(index + 1, image))
        finally:
            frames.close()
    return {"pages": pages}


def _render_pdf(
    source: Path,
    save: Callable[[int, Any], dict[str, Any]],
    *,
    width: int,
    max_pixels: int,
    max_pages: int,
) -> list[dict[str, Any]]:
    import pypdfium2  # noqa: PLC0415 - loads only in the sandboxed child

    try:
        document: Any = pypdfium2.PdfDocument(source)
        document.init_forms()
    except pypdfium2.PdfiumError as exc:
        raise CorruptDocumentError(
            "Die PDF-Datei ist beschädigt und kann nicht dargestellt werden.", detail=repr(exc)
        ) from exc
    pages: list[dict[str, Any]] = []
    try:
        count = len(document)
        _check_page_count(count, max_pages)
        extend_deadline(count * SECONDS_PER_PAGE)
        for index in range(count):
            try:
                page = document[index]
                try:
                    # get_size is the page as displayed: /Rotate is already applied
                    page_width, page_height = (float(v) for v in page.get_size())
                    scale = width / max(page_width, 1.0)
                    area = max(page_width * page_height, 1.0)
                    if area * scale * scale > max_pixels:
                        scale = math.sqrt(max_pixels / area)
                    bitmap = page.render(scale=scale, may_draw_forms=True)
                    try:
                        image = bitmap.to_pil().convert("RGB")
                    finally:
                        bitmap.close()
                finally:
                    page.close()
            except (pypdfium2.PdfiumError, ValueError) as exc:
                raise CorruptDocumentError(
                    f"Seite {index + 1} der PDF-Datei ist beschädigt und kann nicht "
                    "dargestellt werden.",
                    detail=repr(exc),
                ) from exc
            pages.append(save(index + 1, image))
    finally:
        document.close()
    return pages


def _check_page_count(count: int, max_pages: int) -> None:
    if count < 1:
        raise CorruptDocumentError("Die Datei enthält keine Seiten.", code="no_pages")
    if count > max_pages:
        raise ResourceLimitError(
            f"Die Datei hat {count} Seiten; dargestellt werden höchstens {max_pages}.",
            code="too_many_pages",
        )
