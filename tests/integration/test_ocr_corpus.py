"""Every real-world sample file extracts, or fails with a clear reason, within its limits.

The corpus lives outside the repository (``shared/corpora/pdf-samples`` beside it, or
under ``$ECASE_SHARED_DIR``). Without it the tests skip, except in CI where it must exist.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ocr import (
    EncryptedDocumentError,
    ExtractionError,
    ExtractionResult,
    Limits,
    UnsupportedMediaTypeError,
    extract_in_sandbox,
)
from tests.support.corpus import corpus_dir, corpus_files
from tests.support.tesseract import in_ci, needs_tesseract

LIMITS = Limits(timeout_s=60, page_timeout_s=30)
SLACK_S = 10.0


def catalogue() -> dict[str, dict[str, object]]:
    """The corpus's own metadata (page counts, encryption) by relative path."""
    index = corpus_dir() / "files.json"
    if not index.is_file():
        return {}
    entries = json.loads(index.read_text(encoding="utf-8")).get("data", [])
    return {str(e["path"]): e for e in entries if isinstance(e, dict) and "path" in e}


FILES = corpus_files()


def test_corpus_is_present_in_ci() -> None:
    if not FILES:
        if in_ci():
            pytest.fail(f"the sample corpus is missing: {corpus_dir()}")
        pytest.skip(f"outside CI: sample corpus not found at {corpus_dir()}")


@needs_tesseract
@pytest.mark.parametrize(
    "source", FILES, ids=[str(p.relative_to(corpus_dir())) for p in FILES] if FILES else None
)
def test_sample_extracts_or_fails_clearly_within_limits(source: Path, tmp_path: Path) -> None:
    name = str(source.relative_to(corpus_dir()))
    meta = catalogue().get(name, {})
    start = time.monotonic()
    outcome: ExtractionResult | ExtractionError
    try:
        outcome = extract_in_sandbox(source, tmp_path, limits=LIMITS, processes=2)
    except ExtractionError as error:
        outcome = error
    if isinstance(outcome, ExtractionError):
        message = str(outcome)
        assert message.endswith("."), message
        assert "Traceback" not in message
        if meta.get("encrypted") is True:
            assert isinstance(outcome, EncryptedDocumentError)
        if source.suffix.lower() not in {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}:
            assert isinstance(outcome, UnsupportedMediaTypeError)
    else:
        assert meta.get("encrypted") is not True, "a password-protected file was opened"
        assert outcome.page_count == len(outcome.pages) >= 1
        assert [p.number for p in outcome.pages] == list(range(1, outcome.page_count + 1))
        if isinstance(meta.get("pages"), int):
            assert outcome.page_count == meta["pages"]
        if outcome.searchable_pdf is not None:
            assert outcome.searchable_pdf.parent == tmp_path
    elapsed = time.monotonic() - start
    pages = len(FILES)  # generous: no sample is longer than the corpus has files
    assert elapsed < LIMITS.budget_s(pages, 2) + SLACK_S
