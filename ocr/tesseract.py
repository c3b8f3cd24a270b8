"""The production extractor: pypdf text layer and tesseract OCR, always in a sandbox."""

from __future__ import annotations

import os
from pathlib import Path

from .model import ExtractionResult, Limits, validate_languages
from .sandbox import DEFAULT_LIMITS, extract_in_sandbox

__all__ = ["TesseractExtractor"]


class TesseractExtractor:
    """``Extractor`` that parses every file in a sandboxed child process.

    ``languages`` is tesseract's ``-l`` value (``ECASE_OCR_LANGUAGES``); ``processes`` is
    how many pages are recognised at once (default: one per CPU).
    """

    def __init__(
        self,
        languages: str = "deu+eng",
        dpi: int = 300,
        processes: int | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ):
        self.languages = validate_languages(languages)
        if not 50 <= dpi <= 1200:
            raise ValueError("dpi must be between 50 and 1200")
        self.dpi = dpi
        self.processes = max(1, processes or os.cpu_count() or 1)
        self.limits = limits

    def extract(self, source: Path, workdir: Path) -> ExtractionResult:
        return extract_in_sandbox(
            source,
            workdir,
            languages=self.languages,
            dpi=self.dpi,
            limits=self.limits,
            processes=self.processes,
        )
