"""Supervisors and the data protection officer: log view, unusual access, break-glass sign-off."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from ecase.services.access import audit_log
from tests.conftest import TEST_PASSWORD, StaffUser
from tests.support.web import csrf, login


def _foreign_file_opened_under_break_glass(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> int:
    owner = make_user("caseworker", ("Team B",))
    person = client.post(
        "/api/v1/persons",
        json={"family_name": "<b>Bold</b>", "birth_date": None},
        headers=owner.headers,
    ).json
    case = client.post(
        "/api/v1/cases", json={"person_id": person["id"], "subject": "x"}, headers=owner.headers
    ).json
    grant = client.post(
        f"/api/v1/cases/{case['id']}/break-glass",
        json={
            "reason": "Vorsprache am Schalter, <script>alert(1)</script> Kollegin fehlt heute",
            "password": TEST_PASSWORD,
        },
        headers=caseworker.headers,
    )
    assert grant.status_code == 201
    for _ in range(audit_log.MASS_OPENING_PER_HOUR):
        client.get(f"/api/v1/cases/{case['id']}", headers=caseworker.headers)
    return int(grant.json["id"])


def test_supervisor_reviews_the_log_and_signs_off_break_glass(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    grant_id = _foreign_file_opened_under_break_glass(client, caseworker, make_user)
    supervisor = make_user("supervisor", ("Team B",))
    login(client, supervisor)

    log_page = client.get(f"/audit?user={caseworker.username}&flagged=1").get_data(as_text=True)
    assert "Zugriffsprotokoll" in log_page
    assert "break_glass" in log_page
    assert "<script>alert(1)</script>" not in log_page
    assert "&lt;script&gt;" in log_page

    report = client.get("/audit/unusual").get_data(as_text=True)
    assert "Notfallzugriff" in report
    assert "Viele Akten geöffnet" in report

    csv_export = client.get(f"/audit/export.csv?user={caseworker.username}")
    assert csv_export.mimetype == "text/csv"

    review_page = client.get("/break-glass").get_data(as_text=True)
    assert caseworker.username in review_page
    signed = client.post(
        "/break-glass",
        data={"grant_id": str(grant_id), "note": "geprüft", "csrf_token": csrf(review_page)},
    )
    assert signed.status_code == 302
    assert "Nichts zu prüfen" in client.get("/break-glass").get_data(as_text=True)


def test_unusual_access_api_for_auditors_only(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    _foreign_file_opened_under_break_glass(client, caseworker, make_user)
    auditor = make_user("auditor", ())
    findings = client.get("/api/v1/audit/unusual?days=1", headers=auditor.headers).json["findings"]
    kinds = {f["kind"] for f in findings if f["user"] == caseworker.username}
    assert {"break-glass", "mass-opening"} <= kinds
    assert client.get("/api/v1/audit/unusual", headers=caseworker.headers).status_code == 404


def test_caseworkers_do_not_see_oversight_pages(client: FlaskClient, caseworker: StaffUser) -> None:
    login(client, caseworker)
    for url in ("/audit", "/audit/unusual", "/break-glass", "/audit/export.csv"):
        assert client.get(url).status_code == 404, url
    assert client.get("/audit?case=abc").status_code in {400, 404}
