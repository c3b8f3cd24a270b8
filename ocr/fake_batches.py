"""An in-memory batch splitter for the app's tests: scripted separators, no image libraries."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from .batches import BatchDocument, BatchSplit, PageReport
from .media import HEAD_BYTES, detect_media_type
from .pdfwrite import build_pdf, pdf_string
from .separators import Separator, split_pages

__all__ = ["FakeBatchSplitter"]


class FakeBatchSplitter:
    """``BatchSplitter`` that answers from configuration instead of reading QR codes.

    ``separators`` says, page by page, what the batch holds (``None``: an ordinary page);
    without it every file is one ordinary page. The media type is still sniffed, so a
    file that is no scan fails as it would in production. Each document is a small real
    PDF whose bytes depend on the source's bytes and its page numbers, so different
    batches give different documents. ``calls`` records the sources split.
    """

    def __init__(self, separators: Sequence[Separator | None] | None = None) -> None:
        self.separators: tuple[Separator | None, ...] = tuple(separators or (None,))
        self.calls: list[Path] = []

    def split(self, source: Path, outdir: Path) -> BatchSplit:
        self.calls.append(Path(source))
        content = Path(source).read_bytes()
        media_type = detect_media_type(content[:HEAD_BYTES])
        digest = hashlib.sha256(content).hexdigest()
        outdir.mkdir(parents=True, exist_ok=True)
        documents = []
        for index, planned in enumerate(split_pages(self.separators)):
            target = outdir / f"document-{index + 1:03d}.pdf"
            target.write_bytes(_pdf(f"{digest} pages {planned.pages}", len(planned.pages)))
            documents.append(BatchDocument(index, target, planned.pages, planned.case_reference))
        where = {n: doc.index for doc in documents for n in doc.pages}
        pages = tuple(
            PageReport(number, "page", document=where.get(number))
            if separator is None
            else PageReport(
                number,
                "separator",
                separator=separator.kind,
                payload=separator.raw or _payload(separator),
                reference=separator.reference,
            )
            for number, separator in enumerate(self.separators, start=1)
        )
        return BatchSplit(media_type, len(self.separators), pages, tuple(documents))


def _payload(separator: Separator) -> str:
    return "ECASE:SEP" if separator.kind == "sep" else f"ECASE:CASE:{separator.reference}"


def _pdf(marker: str, page_count: int) -> bytes:
    kids = " ".join(f"{4 + i} 0 R" for i in range(page_count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>".encode(),
        b"<< /Title (%s) /Producer (ecase fake) >>" % pdf_string(marker),
        *(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>" for _ in range(page_count)),
    ]
    return build_pdf(objects, info=3)
