"""An in-memory extractor for the app's tests: configured text, no parsing, no tesseract."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import ExtractionError
from .media import HEAD_BYTES, detect_media_type
from .model import ExtractionResult, PageSource, PageText
from .pdfwrite import build_pdf

__all__ = ["FakeExtractor"]


class FakeExtractor:
    """``Extractor`` that answers from configuration.

    The media type is still sniffed from the file's first bytes, so uploads of unsupported
    files fail as they would in production. ``by_content`` maps a file's exact bytes to
    its page texts or to the error to raise; other files get ``pages``. With
    ``searchable_pdf=True`` a small real PDF is written to the workdir, so code that stores
    derived files has something to store. ``calls`` records ``(source, workdir)`` pairs.
    """

    def __init__(
        self,
        pages: Sequence[str] = ("Beispieltext",),
        *,
        by_content: Mapping[bytes, Sequence[str] | ExtractionError] | None = None,
        searchable_pdf: bool = False,
        source: PageSource = "text-layer",
    ):
        self.pages = tuple(pages)
        self.by_content = dict(by_content or {})
        self.searchable_pdf = searchable_pdf
        self.source = source
        self.calls: list[tuple[Path, Path]] = []

    def extract(self, source: Path, workdir: Path) -> ExtractionResult:
        self.calls.append((Path(source), Path(workdir)))
        content = Path(source).read_bytes()
        media_type = detect_media_type(content[:HEAD_BYTES])
        configured = self.by_content.get(content, self.pages)
        if isinstance(configured, ExtractionError):
            raise configured
        texts = tuple(configured)
        pdf = None
        if self.searchable_pdf:
            Path(workdir).mkdir(parents=True, exist_ok=True)
            pdf = Path(workdir) / "searchable.pdf"
            pdf.write_bytes(_minimal_pdf(len(texts)))
        return ExtractionResult(
            media_type=media_type,
            page_count=len(texts),
            pages=tuple(
                PageText(
                    number=i,
                    text=text,
                    source=self.source,
                    confidence=1.0 if self.source == "ocr" else None,
                )
                for i, text in enumerate(texts, start=1)
            ),
            searchable_pdf=pdf,
        )


def _minimal_pdf(page_count: int) -> bytes:
    count = max(page_count, 1)
    kids = " ".join(f"{3 + i} 0 R" for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        *(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>" for _ in range(count)),
    ]
    return build_pdf(objects)
