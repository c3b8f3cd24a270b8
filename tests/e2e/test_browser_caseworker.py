"""A caseworker's day in a real browser against ``ecase serve`` (web + worker, real tesseract).

Log in with the second factor, find a person under another spelling, open the file, read a
scanned letter in the viewer, search a word and land on the hit, write a note, log out.
With ``ECASE_SCREENSHOTS=docs/guides/img`` the steps are saved as the screenshots of
docs/caseworker-guide.md (``sachbearbeitung-*.png``).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests

from tests.support.browser import browser_page, screenshot_dir
from tests.support.files import minimal_pdf, scanned_png
from tests.support.server import PASSWORD, base_env, serve
from tests.support.tesseract import require_tesseract

pytestmark = pytest.mark.slow

LETTER = (
    "Stadt Musterhausen - Wohnungsamt",
    "",
    "Mietvertrag und Wohnungsgeberbestaetigung",
    "fuer Herrn Mohammed Haddad, geboren 04.03.1990",
    "",
    "Die Wohnung in der Lindenstrasse 12 ist ab dem",
    "1. Mai 2024 an Herrn Haddad vermietet.",
)


def scanned_letter() -> bytes:
    return scanned_png(LETTER)


def _shot(page: Any, name: str) -> None:
    target = screenshot_dir()
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"sachbearbeitung-{name}.png"))


def _wait_ready(base: str, auth: dict[str, str], document_id: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = requests.get(f"{base}/api/v1/documents/{document_id}", headers=auth, timeout=10)
        if status.json()["status"] == "ready":
            return
        assert status.json()["status"] != "failed", status.json()
        time.sleep(0.5)
    pytest.fail("the scanned letter was not processed within 120 s")


def _upload(  # noqa: PLR0917  # one call per document reads best spelled out
    base: str, token: str, case_id: int, title: str, doc_type: str, scan: bytes | None = None
) -> None:
    """Upload a PDF with a text layer (or a scanned image) and wait until it is ready."""
    auth = {"Authorization": f"Bearer {token}"}
    name, media = ("scan.png", "image/png") if scan else ("brief.pdf", "application/pdf")
    body = scan or minimal_pdf(title)
    upload = requests.post(
        f"{base}/api/v1/cases/{case_id}/documents",
        files={"file": (name, body, media)},
        data={"title": title, "doc_type": doc_type},
        headers=auth,
        timeout=30,
    )
    assert upload.status_code == 202, upload.text
    _wait_ready(base, auth, upload.json()["id"])


def _prepare(base: str, token: str) -> int:
    auth = {"Authorization": f"Bearer {token}"}
    person = requests.post(
        f"{base}/api/v1/persons",
        json={
            "family_name": "Haddad",
            "given_names": "Mohammed",
            "birth_date": "1990-03-04",
            "nationality": "SYR",
        },
        headers=auth,
        timeout=10,
    ).json()
    case = requests.post(
        f"{base}/api/v1/cases",
        json={"person_id": person["id"], "subject": "Aufenthaltserlaubnis § 16b AufenthG"},
        headers=auth,
        timeout=10,
    ).json()
    _upload(base, token, case["id"], "Antrag auf Verlängerung", "Antrag")
    _upload(base, token, case["id"], "Mietvertrag", "Nachweis", scanned_letter())
    return int(case["id"])


def _first_login(page: Any, base: str, user: str) -> list[str]:
    """Password, TOTP enrolment; returns the recovery codes shown once."""
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/account/second-factor.*"))
    secret = page.inner_text("code.secret")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main form button[type=submit]")
    page.wait_for_selector("ul.codes")
    codes = [c.strip() for c in page.locator("ul.codes code").all_inner_texts()]
    page.click("text=Weiter")
    page.wait_for_selector("h1")
    return codes


def _login_again(page: Any, base: str, user: str, recovery_code: str) -> None:
    """A later login; a recovery code stands in for the app (a TOTP code works once per 30 s)."""
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/login/code.*"))
    page.fill("#code", recovery_code)
    page.click("main form button[type=submit]")
    page.wait_for_selector("h1")


def _logout(page: Any) -> None:
    page.click("header form.logout button[type=submit]")
    page.wait_for_url(re.compile(r".*/login.*"))


def test_a_caseworkers_day(tmp_path: Path) -> None:
    require_tesseract()
    with serve(base_env(tmp_path / "var")) as running:
        base = running.base
        case_id = _prepare(base, running.token)
        with browser_page() as page:
            codes = _first_login(page, base, "erika")
            _logout(page)
            # Mail arrives while she is away; the start page lists it at the next login.
            _upload(base, running.token, case_id, "Fiktionsbescheinigung", "Bescheid")
            _login_again(page, base, "erika", codes[0])
            assert page.url.rstrip("/") == base
            assert "Fiktionsbescheinigung" in page.inner_text("ul.ready")
            _shot(page, "start")

            # Find the person under another spelling, with the reason shown.
            page.click("nav.main-nav a[href='/persons']")
            page.fill("#person-q", "Muhammad Hadad")
            page.keyboard.press("Enter")
            page.wait_for_selector("ol.results")
            results = page.inner_text("ol.results")
            assert "Haddad, Mohammed" in results
            assert "≈" in results
            _shot(page, "personensuche")

            # Open the file from the result.
            page.click(f"ol.results a[href='/cases/{case_id}']")
            page.wait_for_selector("table.documents")
            assert "Mietvertrag" in page.inner_text("table.documents")
            _shot(page, "akte")
            page.click("nav.toggle a[href$='order=type']")
            page.wait_for_selector("tr.group")
            _shot(page, "akte-nach-dokumentart")

            # Read the scanned letter in the viewer.
            page.click("table.documents >> text=Mietvertrag")
            page.wait_for_url(re.compile(r".*/documents/\d+$"))
            page.wait_for_selector("h1")
            assert "Mietvertrag" in page.inner_text("h1")
            _shot(page, "viewer")
            page.go_back()

            # Search inside the file and land on the hit, highlighted.
            page.fill("#case-search", "Lindenstrasse")
            page.keyboard.press("Enter")
            page.wait_for_selector("ol.hits")
            assert page.locator("ol.hits mark").count() >= 1
            _shot(page, "suche")
            page.click("ol.hits h3 a")
            page.wait_for_url(re.compile(r".*/documents/\d+\?q=Lindenstrasse.*"))
            page.wait_for_selector("h1")
            _shot(page, "treffer")

            # Write a note; it appears on top, with author and time.
            page.goto(f"{base}/cases/{case_id}")
            page.fill("#note-body", "Mietvertrag liegt vor. <b>Wohnsitz</b> ist nachgewiesen.")
            page.click("#notes button[type=submit]")
            page.wait_for_selector("ol.notes li")
            first = page.inner_text("ol.notes li >> nth=0")
            assert "<b>Wohnsitz</b>" in first
            assert "erika" in first
            page.locator("#notes").scroll_into_view_if_needed()
            _shot(page, "vermerk")

            _logout(page)
            page.goto(f"{base}/cases/{case_id}")
            assert "/login" in page.url
