"""The Posteingang: unfiled documents get suggestions from their own text and are filed once."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import update

from ecase.models import CaseFile
from ecase.services.context import Context
from ecase.services.intake import pipeline
from tests.conftest import StaffUser
from tests.support.fakes import ScriptedExtractor
from tests.support.files import minimal_pdf


def _case(client: FlaskClient, user: StaffUser, **person: object) -> dict[str, object]:
    body = {"family_name": "Kowalski", "given_names": "Jan", "birth_date": "1985-06-07", **person}
    created = client.post("/api/v1/persons", json=body, headers=user.headers).json
    return dict(
        client.post(
            "/api/v1/cases",
            json={"person_id": created["id"], "subject": "Visum"},
            headers=user.headers,
        ).json
    )


def _scan(client: FlaskClient, clerk: StaffUser) -> int:
    response = client.post(
        "/api/v1/inbox",
        data={"file": (io.BytesIO(minimal_pdf()), "scan.pdf")},
        headers=clerk.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.json
    assert response.json["status"] == "received"
    return int(response.json["id"])


def _inbox(client: FlaskClient, user: StaffUser) -> dict[int, list[dict[str, object]]]:
    body = client.get("/api/v1/inbox", headers=user.headers).json
    return {d["id"]: d["suggestions"] for d in body["documents"]}


def test_suggestions_from_reference_azr_and_name_with_birth_date(  # pytest fixtures
    ctx: Context,
    client: FlaskClient,
    caseworker: StaffUser,
    make_user: Callable[..., StaffUser],
    extractor: ScriptedExtractor,
) -> None:
    clerk = make_user("clerk", ())
    by_reference = _case(client, caseworker, family_name="Nowak")
    by_azr = _case(client, caseworker, family_name="Horvat", azr_number="123456789012")
    by_name = _case(client, caseworker, family_name="Kowalski")

    letters = {
        by_reference[
            "id"
        ]: f"Betreff: Ihr Zeichen {str(by_reference['reference']).lower()}, Antrag",
        by_azr["id"]: "AZR-Nr. 123456789012 – bitte um Rückruf",
        by_name["id"]: "Herr Jan KOWALSKI, geboren am 07.06.1985, beantragt",
    }
    expected_reason = {
        by_reference["id"]: "Aktenzeichen",
        by_azr["id"]: "AZR-Nummer",
        by_name["id"]: "Name und Geburtsdatum",
    }
    scans = {}
    for case_id, text in letters.items():
        extractor.pages = (text,)
        doc_id = _scan(client, clerk)
        assert pipeline.process_document(ctx, doc_id).status == "ready"
        scans[case_id] = doc_id

    inbox = _inbox(client, clerk)
    for case_id, doc_id in scans.items():
        first = inbox[doc_id][0]
        assert first["case_id"] == case_id
        assert str(first["reason"]).startswith(expected_reason[case_id])


def test_assigning_files_the_document_and_updates_search(
    ctx: Context,
    client: FlaskClient,
    caseworker: StaffUser,
    make_user: Callable[..., StaffUser],
    extractor: ScriptedExtractor,
) -> None:
    clerk = make_user("clerk", ())
    case = _case(client, caseworker)
    extractor.pages = ("Posteingangskanarie im Brief",)
    doc_id = _scan(client, clerk)
    pipeline.process_document(ctx, doc_id)
    assert (
        client.get("/api/v1/search?q=Posteingangskanarie", headers=caseworker.headers).json["total"]
        == 0
    )

    filed = client.post(
        f"/api/v1/documents/{doc_id}/assign", json={"case_id": case["id"]}, headers=clerk.headers
    )
    assert filed.status_code == 200, filed.json
    assert filed.json["case_id"] == case["id"]
    assert doc_id not in _inbox(client, clerk)
    assert pipeline.process_document(ctx, doc_id).status == "ready"
    found = client.get("/api/v1/search?q=Posteingangskanarie", headers=caseworker.headers).json
    assert [h["document_id"] for h in found["hits"]] == [doc_id]

    again = client.post(
        f"/api/v1/documents/{doc_id}/assign", json={"case_id": case["id"]}, headers=clerk.headers
    )
    assert again.status_code == 409


def test_closed_files_and_strangers(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    clerk = make_user("clerk", ())
    case = _case(client, caseworker)
    doc_id = _scan(client, clerk)
    with ctx.uow() as uow:
        uow.session.execute(
            update(CaseFile).where(CaseFile.id == case["id"]).values(status="closed")
        )
        uow.commit()
    closed = client.post(
        f"/api/v1/documents/{doc_id}/assign", json={"case_id": case["id"]}, headers=clerk.headers
    )
    assert closed.status_code == 409
    missing = client.post(
        f"/api/v1/documents/{doc_id}/assign", json={"case_id": 99999}, headers=clerk.headers
    )
    assert missing.status_code == 404
    for stranger in (caseworker, make_user("auditor", ()), make_user("admin", ())):
        assert client.get("/api/v1/inbox", headers=stranger.headers).status_code == 404
        assert (
            client.post(
                f"/api/v1/documents/{doc_id}/assign",
                json={"case_id": case["id"]},
                headers=stranger.headers,
            ).status_code
            == 404
        )
    assert client.get(f"/api/v1/documents/{doc_id}", headers=caseworker.headers).status_code == 404
