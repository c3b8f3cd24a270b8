"""In a real browser: login with the second factor, and hostile text stays text.

Payloads go into person names, the subject, document titles, file names and break-glass
reasons; each would set ``window.__xss`` if it ever ran.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests

from tests.support.browser import browser_page, screenshot_dir
from tests.support.files import minimal_pdf
from tests.support.server import PASSWORD, base_env, ecase, serve

pytestmark = pytest.mark.slow

PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=1</script>",
    '"><svg onload="window.__xss=1">',
]


def _shot(page: Any, name: str) -> None:
    target = screenshot_dir()
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def _login(page: Any, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/account/second-factor.*"))
    _shot(page, "zweiter-faktor-einrichten")
    secret = page.inner_text("code.secret")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main form button[type=submit]")
    page.wait_for_selector("ul.codes")
    page.click("text=Weiter")


def test_hostile_text_is_rendered_inert_and_login_needs_the_second_factor(tmp_path: Path) -> None:
    with serve(base_env(tmp_path / "var")) as running:
        auth = {"Authorization": f"Bearer {running.token}"}
        person = requests.post(
            f"{running.base}/api/v1/persons",
            json={"family_name": PAYLOADS[0], "given_names": PAYLOADS[1], "birth_date": None},
            headers=auth,
            timeout=10,
        ).json()
        case = requests.post(
            f"{running.base}/api/v1/cases",
            json={"person_id": person["id"], "subject": PAYLOADS[2]},
            headers=auth,
            timeout=10,
        ).json()
        upload = requests.post(
            f"{running.base}/api/v1/cases/{case['id']}/documents",
            files={"file": (PAYLOADS[0] + ".pdf", minimal_pdf("Bescheid"), "application/pdf")},
            data={"title": PAYLOADS[1]},
            headers=auth,
            timeout=30,
        )
        assert upload.status_code == 202

        with browser_page() as page:
            page.goto(f"{running.base}/cases/{case['id']}")
            assert "/login" in page.url, "pages need a login"
            _login(page, running.base, "erika")
            page.goto(f"{running.base}/cases/{case['id']}")
            page.wait_for_selector("h1")
            _shot(page, "akte")
            body = page.inner_text("body")
            for payload in PAYLOADS:
                assert payload in body, "the payload is shown as text"
            assert page.evaluate("window.__xss") is None, "no payload ran"
            assert page.locator("img[src=x]").count() == 0
            assert page.locator("svg").count() == 0

            # The stored original comes back as an attachment, never rendered by the browser.
            with page.expect_download() as download:
                page.click("a[download]")
            assert download.value.suggested_filename.endswith(".pdf")


def test_supervisor_sees_hostile_reasons_inert_in_the_log(tmp_path: Path) -> None:
    with serve(base_env(tmp_path / "var")) as running:
        ecase(
            running.env,
            "user",
            "create",
            "leitung",
            "--role",
            "supervisor",
            "--team",
            "Sachgebiet 32",
            "--password",
            PASSWORD,
        )
        auth = {"Authorization": f"Bearer {running.token}"}
        requests.get(
            f"{running.base}/api/v1/persons", params={"q": PAYLOADS[0]}, headers=auth, timeout=10
        )
        with browser_page() as page:
            _login(page, running.base, "leitung")
            page.goto(f"{running.base}/audit?user=erika")
            page.wait_for_selector("table")
            _shot(page, "zugriffsprotokoll")
            assert PAYLOADS[0] in page.inner_text("table")
            assert page.evaluate("window.__xss") is None
