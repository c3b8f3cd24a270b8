"""Notfallzugriff: justified, password-confirmed, read-only, time-limited, flagged, reviewed."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from ecase.models import BreakGlassGrant, CaseFile
from ecase.services.context import Context
from ecase.services.intake import pipeline
from tests.conftest import TEST_PASSWORD, StaffUser
from tests.support.fakes import ScriptedExtractor
from tests.support.files import minimal_pdf
from tests.support.web import login, post_form

REASON = "Die Person steht am Schalter, die zuständige Kollegin ist heute krank."


@pytest.fixture
def foreign_case(
    ctx: Context,
    client: FlaskClient,
    make_user: Callable[..., StaffUser],
    extractor: ScriptedExtractor,
) -> tuple[int, int]:
    """A file of team B with one processed document containing a canary word."""
    owner = make_user("caseworker", ("Team B",))
    person = client.post(
        "/api/v1/persons", json={"family_name": "Haddad", "birth_date": None}, headers=owner.headers
    ).json
    case = client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "subject": "Duldung"},
        headers=owner.headers,
    ).json
    extractor.pages = ("Notfallkanarienwort im Bescheid",)
    doc = client.post(
        f"/api/v1/cases/{case['id']}/documents",
        data={"file": (io.BytesIO(minimal_pdf()), "b.pdf")},
        headers=owner.headers,
        content_type="multipart/form-data",
    ).json
    pipeline.process_document(ctx, doc["id"])
    return int(case["id"]), int(doc["id"])


def _open(client: FlaskClient, user: StaffUser, case_id: int, **body: str) -> object:
    payload = {"reason": REASON, "password": TEST_PASSWORD, **body}
    return client.post(f"/api/v1/cases/{case_id}/break-glass", json=payload, headers=user.headers)


def test_break_glass_gives_flagged_read_only_access(
    client: FlaskClient,
    caseworker: StaffUser,
    foreign_case: tuple[int, int],
    make_user: Callable[..., StaffUser],
) -> None:
    case_id, doc_id = foreign_case
    assert client.get(f"/api/v1/cases/{case_id}", headers=caseworker.headers).status_code == 404
    response = _open(client, caseworker, case_id)
    assert response.status_code == 201, response.json
    expires = datetime.fromisoformat(response.json["expires_at"])
    assert timedelta(hours=7) < expires - datetime.now(UTC) <= timedelta(hours=8)

    assert client.get(f"/api/v1/cases/{case_id}", headers=caseworker.headers).status_code == 200
    assert (
        client.get(f"/api/v1/documents/{doc_id}/content", headers=caseworker.headers).status_code
        == 200
    )
    found = client.get("/api/v1/search?q=Notfallkanarienwort", headers=caseworker.headers).json
    assert found["total"] == 1
    upload = client.post(
        f"/api/v1/cases/{case_id}/documents",
        data={"file": (io.BytesIO(minimal_pdf()), "x.pdf")},
        headers=caseworker.headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 404, "break-glass access is read-only"

    auditor = make_user("auditor", ())
    events = client.get(f"/api/v1/audit?case={case_id}&flagged=true", headers=auditor.headers).json[
        "events"
    ]
    actions = {e["action"] for e in events if e["user"] == caseworker.username}
    assert {"break_glass", "case.view", "document.download"} <= actions


@pytest.mark.parametrize(
    ("body", "status"),
    [({"reason": "weil"}, 400), ({"password": "wrong-password-123"}, 403)],
)
def test_break_glass_needs_a_reason_and_the_password(
    client: FlaskClient,
    caseworker: StaffUser,
    foreign_case: tuple[int, int],
    body: dict[str, str],
    status: int,
) -> None:
    case_id, _ = foreign_case
    assert _open(client, caseworker, case_id, **body).status_code == status
    assert client.get(f"/api/v1/cases/{case_id}", headers=caseworker.headers).status_code == 404


@pytest.mark.parametrize("role", ["clerk", "auditor", "admin"])
def test_only_caseworkers_and_supervisors_may_break_glass(
    client: FlaskClient,
    foreign_case: tuple[int, int],
    make_user: Callable[..., StaffUser],
    role: str,
) -> None:
    case_id, _ = foreign_case
    assert _open(client, make_user(role, ()), case_id).status_code == 404


def test_access_ends_when_the_grant_expires(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, foreign_case: tuple[int, int]
) -> None:
    case_id, _ = foreign_case
    assert _open(client, caseworker, case_id).status_code == 201
    with ctx.uow() as uow:
        uow.session.execute(
            update(BreakGlassGrant).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    assert client.get(f"/api/v1/cases/{case_id}", headers=caseworker.headers).status_code == 404
    assert (
        client.get("/api/v1/search?q=Notfallkanarienwort", headers=caseworker.headers).json["total"]
        == 0
    )


def test_own_team_needs_no_break_glass(client: FlaskClient, caseworker: StaffUser) -> None:
    person = client.post(
        "/api/v1/persons",
        json={"family_name": "Ali", "birth_date": None},
        headers=caseworker.headers,
    ).json
    case = client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "subject": "x"},
        headers=caseworker.headers,
    ).json
    assert _open(client, caseworker, case["id"]).status_code == 409


def test_the_owning_teams_supervisor_reviews_it_once(
    client: FlaskClient,
    caseworker: StaffUser,
    foreign_case: tuple[int, int],
    make_user: Callable[..., StaffUser],
) -> None:
    case_id, _ = foreign_case
    grant = _open(client, caseworker, case_id).json
    supervisor_b = make_user("supervisor", ("Team B",))
    supervisor_a = make_user("supervisor", ("Team A",))
    pending = client.get("/api/v1/break-glass", headers=supervisor_b.headers).json["grants"]
    assert [g["id"] for g in pending] == [grant["id"]]
    assert client.get("/api/v1/break-glass", headers=supervisor_a.headers).json["grants"] == []
    assert client.get("/api/v1/break-glass", headers=caseworker.headers).status_code == 404

    url = f"/api/v1/break-glass/{grant['id']}/review"
    assert client.post(url, json={"note": "ok"}, headers=supervisor_a.headers).status_code == 404
    reviewed = client.post(url, json={"note": "Begründung plausibel"}, headers=supervisor_b.headers)
    assert reviewed.status_code == 200
    assert reviewed.json["reviewed_by"] == supervisor_b.username
    assert client.post(url, json={"note": "again"}, headers=supervisor_b.headers).status_code == 409
    assert client.get("/api/v1/break-glass", headers=supervisor_b.headers).json["grants"] == []


def test_the_page_opens_a_file_of_another_team_by_its_aktenzeichen(
    ctx: Context,
    app: Flask,
    caseworker: StaffUser,
    foreign_case: tuple[int, int],
    make_user: Callable[..., StaffUser],
) -> None:
    case_id, _doc = foreign_case
    with ctx.uow() as uow:
        reference = uow.session.get(CaseFile, case_id).reference  # type: ignore[union-attr]
    web = app.test_client()
    login(web, caseworker)
    assert web.get(f"/cases/{case_id}").status_code == 404

    status, _, html = post_form(
        web,
        "/break-glass/new",
        {"reference": "MA-0000-1999-00001", "reason": REASON, "password": TEST_PASSWORD},
    )
    assert status == 400
    assert "field-error" in html
    status, _, html = post_form(
        web, "/break-glass/new", {"reference": reference, "reason": REASON, "password": "falsch-1"}
    )
    assert status == 403
    assert 'id="bg-password-error"' in html
    status, _, html = post_form(
        web,
        "/break-glass/new",
        {"reference": reference, "reason": "weil", "password": TEST_PASSWORD},
    )
    assert status == 400
    assert 'id="bg-reason-error"' in html
    assert web.get(f"/cases/{case_id}").status_code == 404, "refused requests grant nothing"

    # Any common spelling of the Aktenzeichen (lower case, spaces) names the file.
    status, location, _ = post_form(
        web,
        "/break-glass/new",
        {"reference": f"  {reference.lower()} ", "reason": REASON, "password": TEST_PASSWORD},
    )
    assert status == 302
    assert location.endswith(f"/cases/{case_id}")
    page = web.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "break-glass" in page.get_data(as_text=True) or "Notfall" in page.get_data(as_text=True)

    clerk = app.test_client()
    login(clerk, make_user("clerk", ("Team B",)))
    assert clerk.get("/break-glass/new").status_code == 404
