"""Page edits on untrusted scans (split, rotate, merge), done in the sandboxed child.

The parent only names files: every byte of the source is read by pypdf or Pillow inside a
child process with memory and time limits (``run_in_sandbox``). Results are always PDFs;
TIFF, PNG and JPEG sources become one PDF page per image frame first. Rotation sets the
page's ``/Rotate`` entry, so no pixel of the scan is recompressed.

An edit the file cannot take (a page number outside the document) raises
``ExtractionError`` with ``code == INVALID_EDIT`` and a sentence for the clerk.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import CorruptDocumentError, ExtractionError
from .model import Limits
from .sandbox import DEFAULT_LIMITS, run_in_sandbox

__all__ = [
    "INVALID_EDIT",
    "ROTATIONS",
    "merge_documents",
    "rotate_pages",
    "split_document",
]

INVALID_EDIT = "invalid_edit"
ROTATIONS = (90, 180, 270)
_TARGET = "ocr.edits:edit_json"


def split_document(
    source: Path,
    media_type: str,
    at_page: int,
    head_out: Path,
    tail_out: Path,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[int, int]:
    """Pages before ``at_page`` (1-based) to ``head_out``, the rest to ``tail_out``.

    Returns both page counts. ``at_page`` MUST leave at least one page on each side.
    """
    result = _run(
        {
            "op": "split",
            "sources": [_source(source, media_type)],
            "outputs": [str(head_out), str(tail_out)],
            "at_page": at_page,
            "max_pixels": limits.max_pixels,
        },
        limits,
    )
    return result[0], result[1]


def rotate_pages(
    source: Path,
    media_type: str,
    pages: Sequence[int],
    degrees: int,
    out: Path,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> int:
    """The document with the given pages (1-based) turned clockwise; returns the page count."""
    if degrees not in ROTATIONS:
        raise ValueError("degrees must be 90, 180 or 270")
    result = _run(
        {
            "op": "rotate",
            "sources": [_source(source, media_type)],
            "outputs": [str(out)],
            "pages": list(pages),
            "degrees": degrees,
            "max_pixels": limits.max_pixels,
        },
        limits,
    )
    return result[0]


def merge_documents(
    first: tuple[Path, str],
    second: tuple[Path, str],
    out: Path,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> int:
    """The pages of ``first`` followed by those of ``second`` (path, media type each)."""
    result = _run(
        {
            "op": "merge",
            "sources": [_source(*first), _source(*second)],
            "outputs": [str(out)],
            "max_pixels": limits.max_pixels,
        },
        limits,
    )
    return result[0]


def _source(path: Path, media_type: str) -> dict[str, str]:
    return {"path": str(Path(path).resolve()), "media_type": media_type}


def _run(request: dict[str, Any], limits: Limits) -> list[int]:
    request["max_pages"] = limits.max_pages
    result = run_in_sandbox(_TARGET, request, limits=limits)
    if not isinstance(result, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in result
    ):
        raise ExtractionError(
            "Die Bearbeitung lieferte ein unbrauchbares Ergebnis.", code="bad_result"
        )
    return result


# ---------------------------------------------------------------------------- child side


def edit_json(request: dict[str, Any]) -> list[int]:
    """Entry point in the sandboxed child: do one edit, answer the page counts written."""
    import pypdf  # noqa: PLC0415  # the PDF library loads only inside the sandbox

    limits = Limits(max_pages=int(request["max_pages"]), max_pixels=int(request["max_pixels"]))
    readers = [_open(Path(s["path"]), str(s["media_type"]), limits) for s in request["sources"]]
    outputs = [Path(p) for p in request["outputs"]]
    op = request["op"]
    if op == "split":
        reader = readers[0]
        total = len(reader.pages)
        at = _page_number(request["at_page"])
        if not 2 <= at <= total:
            raise ExtractionError(
                f"Teilen ist vor Seite 2 bis {total} möglich (das Dokument hat {total} "
                f"Seite{'n' if total != 1 else ''}); Seite {at} geht nicht.",
                code=INVALID_EDIT,
            )
        return [
            _write(pypdf, [reader.pages[i] for i in range(at - 1)], outputs[0]),
            _write(pypdf, [reader.pages[i] for i in range(at - 1, total)], outputs[1]),
        ]
    if op == "rotate":
        reader = readers[0]
        total = len(reader.pages)
        wanted = {_page_number(n) for n in request["pages"]}
        outside = sorted(n for n in wanted if not 1 <= n <= total)
        if not wanted or outside:
            raise ExtractionError(
                f"Seite {outside[0] if outside else 0} gibt es nicht; das Dokument hat "
                f"{total} Seite{'n' if total != 1 else ''}.",
                code=INVALID_EDIT,
            )
        degrees = int(request["degrees"])
        writer = pypdf.PdfWriter()
        for index, page in enumerate(reader.pages, start=1):
            added = writer.add_page(page)
            if index in wanted:
                added.rotate(degrees)
        return [_save(writer, outputs[0])]
    if op == "merge":
        pages = [page for reader in readers for page in reader.pages]
        if len(pages) > limits.max_pages:
            raise ExtractionError(
                f"Zusammen hätten die Dokumente {len(pages)} Seiten; höchstens "
                f"{limits.max_pages} sind erlaubt.",
                code=INVALID_EDIT,
            )
        return [_write(pypdf, pages, outputs[0])]
    raise ValueError(f"unknown edit {op!r}")


def _page_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExtractionError("Seitenzahlen müssen ganze Zahlen sein.", code=INVALID_EDIT)
    return value


def _open(path: Path, media_type: str, limits: Limits) -> Any:
    """A pypdf reader over the file; images are turned into a PDF in memory first."""
    import pypdf  # noqa: PLC0415  # loads only inside the sandbox

    from .textlayer import open_pdf  # noqa: PLC0415  # pulls in pypdf

    if media_type == "application/pdf":
        return open_pdf(path, limits)
    return pypdf.PdfReader(io.BytesIO(_image_pdf(path, limits)), strict=False)


def _image_pdf(path: Path, limits: Limits) -> bytes:
    from PIL import Image, ImageSequence  # noqa: PLC0415  # loads only inside the sandbox

    from .raster import _image_errors, guard_pillow, normalise_mode  # noqa: PLC0415

    guard_pillow(limits.max_pixels)
    with _image_errors(), Image.open(path) as image:
        frames = []
        dpi = image.info.get("dpi", (300, 300))
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if number > limits.max_pages:
                raise ExtractionError(
                    f"Die Bilddatei hat mehr als {limits.max_pages} Seiten.", code=INVALID_EDIT
                )
            frames.append(normalise_mode(frame.copy()))
        if not frames:
            raise CorruptDocumentError("Die Bilddatei enthält kein Bild.")
        resolution = float(dpi[0]) if dpi and float(dpi[0]) >= 50 else 300.0
        out = io.BytesIO()
        frames[0].save(
            out, format="PDF", save_all=True, append_images=frames[1:], resolution=resolution
        )
    return out.getvalue()


def _write(pypdf: Any, pages: Sequence[Any], out: Path) -> int:
    writer = pypdf.PdfWriter()
    for page in pages:
        writer.add_page(page)
    return _save(writer, out)


def _save(writer: Any, out: Path) -> int:
    with out.open("wb") as stream:
        writer.write(stream)
    return len(writer.pages)
