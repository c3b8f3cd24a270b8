"""Headless Debian Chromium driven by Playwright: skipped without it, required in CI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.services import in_ci

CHROMIUM_FLAGS = [
    "--lang=de-DE",  # the office's browsers: German file pickers and date fields
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def browser_page() -> Iterator[object]:
    """A fresh page; with CI=true a missing browser fails the test instead of skipping it."""
    path = chromium_path()
    if path is None:
        if in_ci():
            pytest.fail("chromium is not installed (make test installs it as root)")
        pytest.skip("outside CI: chromium is not installed")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  # only browser tests need it

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(locale="de-DE", viewport={"width": 1366, "height": 900})
            yield context.new_page()
        finally:
            browser.close()


def screenshot_dir() -> Path | None:
    """Where to keep screenshots for the guides (set ECASE_SCREENSHOTS to a directory)."""
    target = os.environ.get("ECASE_SCREENSHOTS")
    return Path(target) if target else None
