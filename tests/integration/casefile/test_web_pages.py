"""The minimal staff pages: login with CSRF, start page, case page with upload, logout."""

from __future__ import annotations

import io

from flask.testing import FlaskClient

from tests.conftest import TEST_PASSWORD, StaffUser
from tests.support.files import minimal_pdf
from tests.support.web import csrf, login, password_step


def _login(
    client: FlaskClient, user: StaffUser, password: str = TEST_PASSWORD, next_url: str = ""
) -> str:
    """The password step only: its redirect target, or the refusal page."""
    status, location, html = password_step(client, user, password, next_url)
    return location if status == 302 else html


def _case_with_hostile_title(client: FlaskClient, user: StaffUser) -> int:
    person = client.post(
        "/api/v1/persons",
        json={"family_name": "<img src=x onerror=alert(1)>", "birth_date": None},
        headers=user.headers,
    ).json
    case = client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "subject": "<script>alert('subject')</script>"},
        headers=user.headers,
    ).json
    return int(case["id"])


def test_pages_require_login_and_redirect_back(client: FlaskClient, caseworker: StaffUser) -> None:
    response = client.get("/cases/1")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    assert login(client, caseworker, next_url="/cases/1") == "/cases/1"


def test_login_refuses_wrong_password_with_the_same_message_as_unknown_user(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    wrong = _login(client, caseworker, password="not-the-password")
    page = client.get("/login")
    unknown = client.post(
        "/login",
        data={
            "username": "ghost",
            "password": "x",
            "csrf_token": csrf(page.get_data(as_text=True)),
        },
    ).get_data(as_text=True)
    assert "Unbekannter Benutzername oder falsches Passwort" in wrong
    assert "Unbekannter Benutzername oder falsches Passwort" in unknown


def test_login_without_csrf_token_is_refused(client: FlaskClient, caseworker: StaffUser) -> None:
    response = client.post(
        "/login", data={"username": caseworker.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 400


def test_offsite_next_is_ignored(client: FlaskClient, caseworker: StaffUser) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert login(client, caseworker, next_url=target) == "/"
        client.post("/logout", data={"csrf_token": csrf(client.get("/").get_data(as_text=True))})


def test_case_page_escapes_user_text_and_accepts_an_upload(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    case_id = _case_with_hostile_title(client, caseworker)
    login(client, caseworker)
    page = client.get(f"/cases/{case_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>alert('subject')</script>" not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x" not in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

    upload = client.post(
        f"/cases/{case_id}",
        data={
            "file": (io.BytesIO(minimal_pdf()), "brief<b>.pdf"),
            "title": "Brief <b>fett</b>",
            "csrf_token": csrf(html),
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    html = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Brief &lt;b&gt;fett&lt;/b&gt;" in html
    assert "empfangen" in html


def test_start_page_lists_own_team_files_in_german_and_english(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    _case_with_hostile_title(client, caseworker)
    login(client, caseworker)
    german = client.get("/").get_data(as_text=True)
    assert "Akten" in german
    assert "MA-1234-" in german
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Case files" in english


def test_logout_ends_the_session(client: FlaskClient, caseworker: StaffUser) -> None:
    login(client, caseworker)
    home = client.get("/")
    assert home.status_code == 200
    client.post("/logout", data={"csrf_token": csrf(home.get_data(as_text=True))})
    assert client.get("/").status_code == 302
