"""Tesseract in tests: skipped on a developer machine without it, required in CI."""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["in_ci", "needs_tesseract", "require_tesseract", "tesseract_missing"]


def in_ci() -> bool:
    """CI sets ``CI=true``; there a missing dependency is a failure, never a skip."""
    return os.environ.get("CI") == "true"


def tesseract_missing() -> bool:
    return shutil.which("tesseract") is None


#: Mark for tests that run the real tesseract: skips only outside CI.
needs_tesseract = pytest.mark.skipif(
    tesseract_missing() and not in_ci(),
    reason="tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-deu)",
)


def require_tesseract() -> None:
    """Skip the calling test without tesseract, or fail it in CI with a clear message."""
    if not tesseract_missing():
        return
    if in_ci():
        pytest.fail("tesseract is required in CI but not on PATH")
    pytest.skip("outside CI: tesseract is missing (apt-get install tesseract-ocr-deu)")
