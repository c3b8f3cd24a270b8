"""Splitting a scanned batch into documents at its separator sheets, in a sandboxed child.

Each page is rendered at a modest resolution only to look for a separator QR code; the
documents are then written from the original pages: PDF pages are copied by pypdf as
they are (bit-exact content streams and images), TIFF/PNG/JPEG frames become PDF pages
via Pillow. The result says, per page, what it was and, per document, its file, pages
and the Aktenzeichen its separator sheet named.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from .errors import CorruptDocumentError, ResourceLimitError
from .media import HEAD_BYTES, detect_media_type
from .model import Limits
from .separators import Separator, split_pages

__all__ = [
    "BatchDocument",
    "BatchSplit",
    "BatchSplitter",
    "PageKind",
    "PageReport",
    "SandboxedBatchSplitter",
    "split_batch",
    "split_batch_json",
]

PageKind = Literal["separator", "page"]

#: Rendering resolution for finding QR codes: separator modules stay several pixels wide,
#: and a 200-page batch renders in seconds.
DETECTION_DPI = 100
#: Wall-clock seconds granted per page on top of ``Limits.timeout_s``.
SECONDS_PER_PAGE = 5.0

NOTE_UNREADABLE = "QR code unreadable"
NOTE_FOREIGN = "QR code is not an ecase separator (ignored)"


@dataclass(frozen=True, slots=True)
class PageReport:
    """What one page of the batch was.

    ``document`` is the 0-based index into ``BatchSplit.documents`` for ordinary pages,
    ``None`` for separator sheets. ``payload`` is the separator's QR text as read;
    ``note`` explains a decision a clerk may want to check (e.g. an unreadable code).
    """

    number: int
    kind: PageKind
    separator: Literal["sep", "case"] | None = None
    payload: str = ""
    reference: str | None = None
    document: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class BatchDocument:
    """One document written from the batch: its PDF, its 1-based source pages, its case."""

    index: int
    path: Path
    pages: tuple[int, ...]
    case_reference: str | None


@dataclass(frozen=True, slots=True)
class BatchSplit:
    media_type: str
    page_count: int
    pages: tuple[PageReport, ...]
    documents: tuple[BatchDocument, ...]

    @property
    def separator_count(self) -> int:
        return sum(1 for page in self.pages if page.kind == "separator")


class BatchSplitter(Protocol):
    """Port: split an untrusted scan file into documents at its separator sheets.

    ``split`` MUST NOT modify ``source``; it MUST write document files only into
    ``outdir``; it MUST report every page of the source exactly once, in order, and every
    ordinary page in exactly one document; separator pages MUST be in no document; it
    MUST raise only ``ExtractionError`` subclasses for problems of the file.
    """

    def split(self, source: Path, outdir: Path) -> BatchSplit: ...


class SandboxedBatchSplitter:
    """``BatchSplitter`` that parses the file in the memory-capped, killable sandbox child."""

    def __init__(self, limits: Limits | None = None, *, default_dpi: int = 300) -> None:
        self.limits = limits or Limits()
        self.default_dpi = default_dpi

    def split(self, source: Path, outdir: Path) -> BatchSplit:
        from .sandbox import run_on_file  # noqa: PLC0415  # the sandbox imports subprocess machinery

        return run_on_file(
            "ocr.batches:split_batch_json",
            source,
            outdir,
            {"limits": asdict(self.limits), "default_dpi": self.default_dpi},
            limits=self.limits,
            max_extension_s=SECONDS_PER_PAGE * self.limits.max_pages,
            parse=split_from_json,
            unusable="Das Ergebnis der Stapeltrennung war unbrauchbar und wurde verworfen.",
        )


# ------------------------------------------------------------------ the child's side


def split_batch_json(request: dict[str, Any]) -> dict[str, Any]:
    """Sandbox entry point: JSON in, JSON out."""
    result = split_batch(
        Path(request["source"]),
        Path(request["outdir"]),
        media_type=str(request["media_type"]),
        limits=Limits(**request["limits"]),
        default_dpi=int(request["default_dpi"]),
    )
    return split_to_json(result)


def split_batch(
    source: Path,
    outdir: Path,
    *,
    media_type: str | None = None,
    limits: Limits | None = None,
    default_dpi: int = 300,
) -> BatchSplit:
    """Split ``source`` without a sandbox; only the sandboxed child (and tests) call this."""
    from . import sandbox  # noqa: PLC0415
    from .raster import guard_pillow  # noqa: PLC0415  # image libraries load only here

    limits = limits or Limits()
    guard_pillow(limits.max_pixels)
    if os.path.getsize(source) == 0:
        raise CorruptDocumentError("Die Datei ist leer.", code="empty")
    if media_type is None:
        with source.open("rb") as stream:
            media_type = detect_media_type(stream.read(HEAD_BYTES))
    outdir.mkdir(parents=True, exist_ok=True)
    with _pages(source, media_type, limits, default_dpi) as pages:
        sandbox.extend_deadline(SECONDS_PER_PAGE * pages.count)
        reports: list[tuple[Separator | None, str]] = [
            _inspect(pages.render(index)) for index in range(pages.count)
        ]
        plan = split_pages([separator for separator, _note in reports])
        documents = []
        for index, planned in enumerate(plan):
            target = outdir / f"document-{index + 1:03d}.pdf"
            pages.write_pdf(planned.pages, target)
            documents.append(BatchDocument(index, target, planned.pages, planned.case_reference))
    where = {number: doc.index for doc in documents for number in doc.pages}
    page_reports = []
    for number, (separator, note) in enumerate(reports, start=1):
        if separator is None:
            page_reports.append(PageReport(number, "page", document=where.get(number), note=note))
        else:
            page_reports.append(
                PageReport(
                    number,
                    "separator",
                    separator=separator.kind,
                    payload=separator.raw,
                    reference=separator.reference,
                    note=note,
                )
            )
    return BatchSplit(media_type, len(reports), tuple(page_reports), tuple(documents))


def _inspect(image: Any) -> tuple[Separator | None, str]:
    """The separator on a page, and a note when a QR code was seen but not used."""
    from .separators import detect_separator  # noqa: PLC0415

    separator = detect_separator(image)
    if separator is not None:
        return separator, ""
    return None, _qr_note(image)


def _qr_note(image: Any) -> str:
    import zxingcpp  # noqa: PLC0415  # keeps importing ocr free of image libraries

    from .separators import FAST_PATH_PIXELS, _downscaled, _grey  # noqa: PLC0415

    results = zxingcpp.read_barcodes(
        _downscaled(_grey(image), FAST_PATH_PIXELS),
        formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        try_rotate=True,
        return_errors=True,
    )
    if any(result.valid for result in results):
        return NOTE_FOREIGN
    if results:
        return NOTE_UNREADABLE
    return ""


@dataclass
class _PdfPages:
    source: Path
    limits: Limits

    def __post_init__(self) -> None:
        from .raster import PdfRenderer  # noqa: PLC0415
        from .textlayer import open_pdf  # noqa: PLC0415

        self.reader = open_pdf(self.source, self.limits)
        self.count = len(self.reader.pages)
        self.renderer = PdfRenderer(
            self.source, dpi=DETECTION_DPI, max_pixels=self.limits.max_pixels
        )
        if len(self.renderer) != self.count:
            raise CorruptDocumentError(
                "Die Seitenstruktur der PDF-Datei ist beschädigt.", code="corrupt"
            )

    def render(self, index: int) -> Any:
        return self.renderer.render(index).image

    def write_pdf(self, numbers: tuple[int, ...], target: Path) -> None:
        import pypdf  # noqa: PLC0415

        writer = pypdf.PdfWriter()
        for number in numbers:
            writer.add_page(self.reader.pages[number - 1])
        _write_atomically(target, writer.write)

    def close(self) -> None:
        self.renderer.close()


@dataclass
class _ImagePages:
    source: Path
    media_type: str
    limits: Limits
    default_dpi: int

    def __post_init__(self) -> None:
        from .raster import ImageFrames  # noqa: PLC0415

        self.frames = ImageFrames(
            self.source,
            self.media_type,
            default_dpi=self.default_dpi,
            max_pixels=self.limits.max_pixels,
        )
        self.frames.check_sizes()
        self.count = len(self.frames)
        if self.count > self.limits.max_pages:
            raise ResourceLimitError(
                f"Die Bilddatei hat {self.count} Seiten; verarbeitet werden höchstens "
                f"{self.limits.max_pages}.",
                code="too_many_pages",
            )

    def render(self, index: int) -> Any:
        return self.frames.render(index).image

    def write_pdf(self, numbers: tuple[int, ...], target: Path) -> None:
        """One PDF page per frame at the frame's resolution; merged page by page."""
        import pypdf  # noqa: PLC0415

        # in the sandbox the temp folder is its work folder, swept even if the worker dies
        scratch = Path(tempfile.mkdtemp(prefix="pages-"))
        try:
            writer = pypdf.PdfWriter()
            for number in numbers:
                page = self.frames.render(number - 1)
                one = scratch / f"{number}.pdf"
                # ``render`` yields mode 1, L or RGB, all of which Pillow writes to PDF
                page.image.save(one, format="PDF", resolution=page.dpi)
                writer.append(str(one))
            _write_atomically(target, writer.write)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def close(self) -> None:
        self.frames.close()


class _Opened:
    def __init__(self, pages: _PdfPages | _ImagePages) -> None:
        self.pages = pages

    def __enter__(self) -> _PdfPages | _ImagePages:
        return self.pages

    def __exit__(self, *_exc: object) -> None:
        self.pages.close()


def _pages(source: Path, media_type: str, limits: Limits, default_dpi: int) -> _Opened:
    if media_type == "application/pdf":
        return _Opened(_PdfPages(source, limits))
    return _Opened(_ImagePages(source, media_type, limits, default_dpi))


def _write_atomically(target: Path, write: Any) -> None:
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as stream:
        write(stream)
    partial.replace(target)


# ------------------------------------------------------------------ JSON both ways


def split_to_json(split: BatchSplit) -> dict[str, Any]:
    return {
        "media_type": split.media_type,
        "page_count": split.page_count,
        "pages": [asdict(page) for page in split.pages],
        "documents": [
            {
                "index": doc.index,
                "path": str(doc.path),
                "pages": list(doc.pages),
                "case_reference": doc.case_reference,
            }
            for doc in split.documents
        ],
    }


def split_from_json(data: object, outdir: Path) -> BatchSplit:
    """Rebuild a split from the child's JSON, trusting nothing about its shape.

    Raises ``ValueError`` when the data is malformed, points outside ``outdir`` or breaks
    the port's promises (each ordinary page in exactly one document).
    """
    if not isinstance(data, dict):
        raise ValueError("expected an object")
    page_count = _int(data["page_count"])
    pages = tuple(_page_from_json(raw) for raw in _list(data["pages"]))
    if [p.number for p in pages] != list(range(1, page_count + 1)):
        raise ValueError("pages are not numbered 1..page_count")
    root = outdir.resolve()
    documents = []
    for position, raw in enumerate(_list(data["documents"])):
        if not isinstance(raw, dict):
            raise ValueError("expected an object")
        path = Path(str(raw["path"])).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ValueError("a document file is not inside outdir")
        reference = raw["case_reference"]
        if reference is not None and not isinstance(reference, str):
            raise ValueError("case_reference must be a string")
        numbers = tuple(_int(n) for n in _list(raw["pages"]))
        if _int(raw["index"]) != position or not numbers:
            raise ValueError("documents are not numbered in order, or one is empty")
        documents.append(BatchDocument(position, path, numbers, reference))
    in_documents = sorted(n for doc in documents for n in doc.pages)
    ordinary = [p.number for p in pages if p.kind == "page"]
    if in_documents != ordinary:
        raise ValueError("ordinary pages and document pages disagree")
    return BatchSplit(str(data["media_type"]), page_count, pages, tuple(documents))


def _page_from_json(raw: object) -> PageReport:
    if not isinstance(raw, dict):
        raise ValueError("expected an object")
    kind = raw["kind"]
    separator = raw["separator"]
    if kind not in ("separator", "page") or separator not in ("sep", "case", None):
        raise ValueError("unknown page kind")
    document = raw["document"]
    reference = raw["reference"]
    return PageReport(
        number=_int(raw["number"]),
        kind="separator" if kind == "separator" else "page",
        separator=None if separator is None else ("sep" if separator == "sep" else "case"),
        payload=str(raw["payload"])[:200],
        reference=None if reference is None else str(reference),
        document=None if document is None else _int(document),
        note=str(raw["note"])[:200],
    )


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("expected an integer")
    return value


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value
