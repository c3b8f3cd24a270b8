"""A clerk's morning in a real browser against ``ecase serve`` (web + worker, real tesseract).

Log in with the second factor, drop scans on the upload page (one by drag-and-drop, two
through the file chooser, one of them refused), watch each file's progress and status,
open the inbox with its suggestions, file a letter by one click, open the scan protocol
and confirm the quality check. With ``ECASE_SCREENSHOTS=docs/guides/img`` the steps are
saved as the screenshots of docs/guides/posteingang.md (``posteingang-*.png``).
"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests

from ocr.samples import text_pdf
from tests.support.browser import browser_page, screenshot_dir
from tests.support.files import scanned_png
from tests.support.server import PASSWORD, base_env, serve
from tests.support.tesseract import require_tesseract

pytestmark = pytest.mark.slow

TEAM = "Sachgebiet 32"

DROP_SCRIPT = """([name, data, type]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type }));
  const zone = document.getElementById("dropzone");
  zone.dispatchEvent(new DragEvent("dragenter", { dataTransfer: transfer, bubbles: true }));
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true }));
}"""


def scanned_form() -> bytes:
    """A scanned page without text layer: tesseract has to read the name and birth date."""
    lines = (
        "Landkreis Musterhausen - Meldebehoerde",
        "",
        "Meldebescheinigung",
        "Frau Olena Petrenko, geboren am 12.08.1987,",
        "ist seit dem 01.03.2024 in der Gartenstrasse 5 gemeldet.",
    )
    return scanned_png(lines)


def _shot(page: Any, name: str) -> None:
    target = screenshot_dir()
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"posteingang-{name}.png"), full_page=True)


def _case(base: str, auth: dict[str, str], family: str, given: str, born: str) -> dict[str, Any]:
    person = requests.post(
        f"{base}/api/v1/persons",
        json={"family_name": family, "given_names": given, "birth_date": born},
        headers=auth,
        timeout=10,
    ).json()
    case = requests.post(
        f"{base}/api/v1/cases",
        json={"person_id": person["id"], "subject": "Aufenthaltserlaubnis", "team": TEAM},
        headers=auth,
        timeout=10,
    )
    assert case.status_code == 201, case.text
    return dict(case.json())


def _login(page: Any, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/account/second-factor.*"))
    secret = page.inner_text("code.secret")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main form button[type=submit]")
    page.wait_for_selector("ul.codes")
    page.click("text=Weiter")
    page.wait_for_selector("h1")


def _wait_for_inbox(base: str, auth: dict[str, str], count: int) -> list[dict[str, Any]]:
    """Until the worker has split the batches and read every document."""
    deadline = time.monotonic() + 180
    documents: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        documents = requests.get(f"{base}/api/v1/inbox", headers=auth, timeout=10).json()[
            "documents"
        ]
        assert all(d["status"] != "failed" for d in documents), documents
        if len(documents) >= count and all(d["status"] == "ready" for d in documents):
            return documents
        time.sleep(0.5)
    pytest.fail(f"the inbox did not fill within 180 s: {documents}")


def test_a_clerks_morning(tmp_path: Path) -> None:
    require_tesseract()
    with serve(base_env(tmp_path / "var"), user="clara", role="clerk") as running:
        base = running.base
        auth = {"Authorization": f"Bearer {running.token}"}
        letter_case = _case(base, auth, "Haddad", "Mohammed", "1990-03-04")
        form_case = _case(base, auth, "Petrenko", "Olena", "1987-08-12")
        letter = text_pdf(
            [
                [
                    "Rechtsanwaltskanzlei Berger",
                    "",
                    f"Ihr Zeichen: {letter_case['reference']}",
                    "Betreff: Antrag auf Verlaengerung der Aufenthaltserlaubnis",
                    "",
                    "Sehr geehrte Damen und Herren,",
                    "anbei reichen wir die fehlenden Unterlagen nach.",
                ]
            ]
        )

        with browser_page() as page:
            _login(page, base, "clara")
            assert page.locator("nav.main-nav a[href='/inbox']").count() == 1

            # Upload: one file dropped on the zone, two chosen; the text file is refused.
            page.goto(f"{base}/inbox/upload")
            page.wait_for_selector("#dropzone")
            page.evaluate(
                DROP_SCRIPT,
                ["anwaltsschreiben.pdf", base64.b64encode(letter).decode(), "application/pdf"],
            )
            page.set_input_files(
                "#files",
                files=[
                    {
                        "name": "meldebescheinigung.png",
                        "mimeType": "image/png",
                        "buffer": scanned_form(),
                    },
                    {
                        "name": "notiz.txt",
                        "mimeType": "text/plain",
                        "buffer": b"Bitte Frau Petrenko zurueckrufen.",
                    },
                ],
            )
            finished = page.locator("#upload-list li.upload-ok, #upload-list li.upload-bad")
            finished.nth(2).wait_for()  # the CSP forbids wait_for_function's eval
            assert page.locator("#upload-list li.upload-ok").count() == 2
            refused = page.locator("#upload-list li.upload-bad")
            assert refused.count() == 1
            assert "notiz.txt" in refused.inner_text()
            assert any(
                text in refused.inner_text() for text in ("PDF, TIFF, PNG", "PDF-, TIFF-, PNG-")
            )
            assert page.locator("#upload-list progress").count() == 3
            assert page.inner_text("#upload-summary")
            _shot(page, "upload")

            # Inbox: each document with its suggestion and the reason for it.
            documents = _wait_for_inbox(base, auth, 2)
            by_suggestion = {s["case_id"]: d["id"] for d in documents for s in d["suggestions"]}
            assert letter_case["id"] in by_suggestion, documents
            assert form_case["id"] in by_suggestion, documents
            letter_id = by_suggestion[letter_case["id"]]
            page.goto(f"{base}/inbox")
            article = page.locator(f"#doc-{letter_id}")
            assert "Aktenzeichen" in article.inner_text()
            deadline = time.monotonic() + 60
            while page.locator(".thumbs img").count() < 2 and time.monotonic() < deadline:
                time.sleep(1)  # the page images are rendered after the text is read
                page.reload()
            assert page.locator(".thumbs img").count() >= 2
            page.locator(f"#doc-{letter_id} details.ocr-text summary").click()
            _shot(page, "eingang")

            # File the letter by one click on its suggestion.
            article.locator(
                f"form:has(input[name=case_id][value='{letter_case['id']}']) button"
            ).click()
            page.wait_for_selector("p.flash")
            assert page.locator(f"#doc-{letter_id}").count() == 0
            filed = requests.get(f"{base}/api/v1/inbox", headers=auth, timeout=10).json()
            assert letter_id not in [d["id"] for d in filed["documents"]]
            _shot(page, "abgelegt")

            # Scan protocol: the list, one batch, the quality check.
            page.goto(f"{base}/scan-batches")
            page.wait_for_selector("table.batches")
            assert "anwaltsschreiben.pdf" in page.inner_text("table.batches")
            _shot(page, "scanprotokoll")
            page.click("table.batches a >> nth=0")
            page.wait_for_selector("#qc-note")
            assert re.search(r"[0-9a-f]{64}", page.inner_text("main"))
            page.check("input[name=mode][value=complete]")
            page.fill("#qc-note", "Alle Seiten mit dem Papier verglichen, gut lesbar.")
            page.click("section:has(#qc-note) button[type=submit]")
            page.wait_for_selector("p.flash")
            assert "Alle Seiten mit dem Papier verglichen" in page.inner_text("main")
            _shot(page, "sichtkontrolle")
