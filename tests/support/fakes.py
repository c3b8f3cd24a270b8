"""Scriptable fakes of the ports, for service tests that must control what the port does."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ocr import ExtractionError, ExtractionResult, PageText


@dataclass
class ScriptedExtractor:
    """Returns the configured pages, or raises the configured error; counts its calls."""

    pages: tuple[str, ...] = ("Seite eins",)
    error: ExtractionError | Exception | None = None
    searchable_pdf: bool = True
    calls: list[Path] = field(default_factory=list)

    def extract(self, source: Path, workdir: Path) -> ExtractionResult:
        self.calls.append(source)
        if self.error is not None:
            raise self.error
        workdir.mkdir(parents=True, exist_ok=True)
        derived = None
        if self.searchable_pdf:
            derived = workdir / "searchable.pdf"
            derived.write_bytes(b"%PDF-1.4 derived from " + source.read_bytes()[:64])
        pages = tuple(
            PageText(number=i, text=text, source="ocr", rotation=0, confidence=0.9)
            for i, text in enumerate(self.pages, start=1)
        )
        return ExtractionResult(
            media_type="application/pdf", page_count=len(pages), pages=pages, searchable_pdf=derived
        )
