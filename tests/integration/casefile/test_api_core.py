"""The core REST surface against real SQLite and PostgreSQL: persons, cases, upload, download."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from storage.memory import InMemoryBlobStore
from tests.conftest import StaffUser
from tests.support.files import minimal_pdf, tiny_png


def _person(client: FlaskClient, user: StaffUser, **overrides: Any) -> dict[str, Any]:
    body = {"family_name": "Al-Hassan", "given_names": "Mohammed", "birth_date": "1990-03-04"}
    body.update(overrides)
    response = client.post("/api/v1/persons", json=body, headers=user.headers)
    assert response.status_code == 201, response.json
    return dict(response.json or {})


def _case(client: FlaskClient, user: StaffUser, person_id: int, **overrides: Any) -> dict[str, Any]:
    body = {"person_id": person_id, "subject": "Aufenthaltserlaubnis § 16b AufenthG"}
    body.update(overrides)
    response = client.post("/api/v1/cases", json=body, headers=user.headers)
    assert response.status_code == 201, response.json
    return dict(response.json or {})


def _upload(
    client: FlaskClient,
    user: StaffUser,
    case_id: int,
    data: bytes,
    name: str = "antrag.pdf",
    **form: str,
) -> Any:
    return client.post(
        f"/api/v1/cases/{case_id}/documents",
        data={"file": (io.BytesIO(data), name), **form},
        headers=user.headers,
        content_type="multipart/form-data",
    )


def test_newcomer_flow_upload_and_download_same_bytes(
    client: FlaskClient, caseworker: StaffUser, dispatched: list[int]
) -> None:
    person = _person(client, caseworker, aliases=["Muhammad Alhassan"], nationality="syr")
    assert person["nationality"] == "SYR"
    assert person["aliases"] == [{"name": "Muhammad Alhassan", "kind": "variant"}]
    case = _case(client, caseworker, person["id"])
    assert case["reference"].startswith("MA-1234-")
    assert case["team"] == "Team A"
    assert case["status"] == "open"

    pdf = minimal_pdf("Antrag auf Aufenthaltserlaubnis")
    accepted = _upload(client, caseworker, case["id"], pdf, title="Antrag", doc_type="Antrag")
    assert accepted.status_code == 202, accepted.json
    doc_id = accepted.json["id"]
    assert accepted.json["status"] == "received"
    assert accepted.json["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert dispatched == [doc_id], "processing is handed to the queue after commit"

    meta = client.get(f"/api/v1/documents/{doc_id}", headers=caseworker.headers).json
    assert meta["case_id"] == case["id"]
    assert meta["media_type"] == "application/pdf"
    assert meta["status"] == "received"

    download = client.get(f"/api/v1/documents/{doc_id}/content", headers=caseworker.headers)
    assert download.status_code == 200
    assert download.data == pdf
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["Content-Security-Policy"]

    full = client.get(f"/api/v1/cases/{case['id']}", headers=caseworker.headers).json
    assert [d["id"] for d in full["documents"]] == [doc_id]
    assert full["person_id"] == person["id"]


def test_references_are_unique_and_consecutive(client: FlaskClient, caseworker: StaffUser) -> None:
    person = _person(client, caseworker)
    refs = [_case(client, caseworker, person["id"])["reference"] for _ in range(3)]
    seqs = [int(r.rsplit("-", 1)[1]) for r in refs]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]


def test_manual_reference_is_kept_and_generation_skips_past_it(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    person = _person(client, caseworker)
    first = _case(client, caseworker, person["id"])
    year = first["reference"].split("-")[2]
    taken = f"MA-1234-{year}-{int(first['reference'][-5:]) + 1:05d}"
    manual = _case(client, caseworker, person["id"], reference=taken.lower())
    assert manual["reference"] == taken
    generated = _case(client, caseworker, person["id"])
    assert generated["reference"] not in {first["reference"], taken}


def test_duplicate_reference_is_a_conflict(client: FlaskClient, caseworker: StaffUser) -> None:
    person = _person(client, caseworker)
    _case(client, caseworker, person["id"], reference="MA-1234-2019-00001")
    again = client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "subject": "x", "reference": "MA-1234-2019-00001"},
        headers=caseworker.headers,
    )
    assert again.status_code == 409
    assert "already in use" in again.json["message"]


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({"given_names": "Ali", "birth_date": None}, 422, "family_name"),
        ({"family_name": "   ", "birth_date": None}, 400, "family name"),
        ({"family_name": "X", "birth_date": "2999-01-01"}, 400, "future"),
        ({"family_name": "X", "birth_date": "04.03.1990"}, 422, "birth_date"),
        ({"family_name": "X", "birth_date": None, "nationality": "Syrien"}, 400, "ISO 3166"),
        ({"family_name": "X", "birth_date": None, "unexpected": 1}, 422, "unexpected"),
    ],
)
def test_bad_person_input_gets_an_actionable_4xx(
    client: FlaskClient, caseworker: StaffUser, body: dict[str, Any], status: int, text: str
) -> None:
    response = client.post("/api/v1/persons", json=body, headers=caseworker.headers)
    assert response.status_code == status
    assert text in str(response.json)


def test_malformed_json_is_a_400(client: FlaskClient, caseworker: StaffUser) -> None:
    response = client.post(
        "/api/v1/persons",
        data=b'{"family_name": "X",',
        headers={**caseworker.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.is_json


def test_duplicate_azr_number_is_a_conflict(client: FlaskClient, caseworker: StaffUser) -> None:
    _person(client, caseworker, azr_number="123456789012")
    response = client.post(
        "/api/v1/persons",
        json={"family_name": "Y", "birth_date": None, "azr_number": "123456789012"},
        headers=caseworker.headers,
    )
    assert response.status_code == 409


def test_unknown_case_and_unknown_person(client: FlaskClient, caseworker: StaffUser) -> None:
    assert client.get("/api/v1/cases/999999", headers=caseworker.headers).status_code == 404
    upload = _upload(client, caseworker, 999999, minimal_pdf())
    assert upload.status_code == 404
    response = client.post(
        "/api/v1/cases", json={"person_id": 999999, "subject": "x"}, headers=caseworker.headers
    )
    assert response.status_code == 400
    assert "no person" in response.json["message"]


@pytest.mark.parametrize(
    ("data", "name", "status", "text"),
    [
        (b"", "leer.pdf", 400, "empty"),
        (b"<html><script>alert(1)</script></html>", "x.html", 415, "PDF, TIFF, PNG or JPEG"),
    ],
)
def test_bad_uploads_are_refused_and_leave_nothing(  # noqa: PLR0917  # pytest injects fixtures and parameters positionally
    client: FlaskClient,
    caseworker: StaffUser,
    blobs: InMemoryBlobStore,
    data: bytes,
    name: str,
    status: int,
    text: str,
) -> None:
    case = _case(client, caseworker, _person(client, caseworker)["id"])
    response = _upload(client, caseworker, case["id"], data, name)
    assert response.status_code == status
    assert text in response.json["message"]
    assert list(blobs.iter_keys()) == []
    full = client.get(f"/api/v1/cases/{case['id']}", headers=caseworker.headers).json
    assert full["documents"] == []


def test_upload_without_file_field(client: FlaskClient, caseworker: StaffUser) -> None:
    case = _case(client, caseworker, _person(client, caseworker)["id"])
    response = client.post(
        f"/api/v1/cases/{case['id']}/documents",
        data={"title": "nothing"},
        headers=caseworker.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "'file'" in response.json["message"]


def test_upload_over_the_limit_is_413_and_leaves_nothing(
    client: FlaskClient, caseworker: StaffUser, blobs: InMemoryBlobStore, app: Any
) -> None:
    case = _case(client, caseworker, _person(client, caseworker)["id"])
    limit = app.extensions["ecase"].settings.max_upload_bytes
    too_big = minimal_pdf() + b"\n%" + b"x" * (limit + 10)
    response = _upload(client, caseworker, case["id"], too_big)
    assert response.status_code == 413
    assert list(blobs.iter_keys()) == []


def test_storage_outage_during_upload_is_503_and_records_nothing(
    client: FlaskClient, caseworker: StaffUser, blobs: InMemoryBlobStore
) -> None:
    case = _case(client, caseworker, _person(client, caseworker)["id"])
    blobs.unavailable = True
    response = _upload(client, caseworker, case["id"], minimal_pdf())
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    blobs.unavailable = False
    full = client.get(f"/api/v1/cases/{case['id']}", headers=caseworker.headers).json
    assert full["documents"] == []


def test_png_upload_is_accepted_with_its_type(client: FlaskClient, caseworker: StaffUser) -> None:
    case = _case(client, caseworker, _person(client, caseworker)["id"])
    response = _upload(client, caseworker, case["id"], tiny_png(), "scan.png")
    assert response.status_code == 202
    assert response.json["media_type"] == "image/png"


def test_same_bytes_twice_share_one_blob(
    client: FlaskClient, caseworker: StaffUser, blobs: InMemoryBlobStore
) -> None:
    case = _case(client, caseworker, _person(client, caseworker)["id"])
    pdf = minimal_pdf("doppelt")
    assert _upload(client, caseworker, case["id"], pdf).status_code == 202
    assert _upload(client, caseworker, case["id"], pdf).status_code == 202
    assert list(blobs.iter_keys()) == [hashlib.sha256(pdf).hexdigest()]


def test_other_team_sees_404_not_403(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    stranger = make_user("caseworker", ("Team B",))
    case = _case(client, caseworker, _person(client, caseworker)["id"])
    doc = _upload(client, caseworker, case["id"], minimal_pdf()).json["id"]
    for url in (
        f"/api/v1/cases/{case['id']}",
        f"/api/v1/documents/{doc}",
        f"/api/v1/documents/{doc}/content",
    ):
        response = stranger and client.get(url, headers=stranger.headers)
        assert response.status_code == 404, url
        assert "Al-Hassan" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_cannot_read_or_create_personal_data(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser], role: str
) -> None:
    other = make_user(role, ())
    person = _person(client, caseworker)
    case = _case(client, caseworker, person["id"])
    assert client.get(f"/api/v1/persons/{person['id']}", headers=other.headers).status_code == 404
    assert client.get(f"/api/v1/cases/{case['id']}", headers=other.headers).status_code == 404
    assert client.get("/api/v1/persons?q=hassan", headers=other.headers).status_code == 404
    created = client.post(
        "/api/v1/persons", json={"family_name": "X", "birth_date": None}, headers=other.headers
    )
    assert created.status_code == 404


def test_person_search_finds_aliases_and_folded_spellings(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    _person(client, caseworker, family_name="Müller", given_names="Jörg", aliases=["Georg Mueller"])
    _person(client, caseworker, family_name="Schmidt", given_names="Anna")
    for query in ("mueller", "MÜLLER jörg", "georg"):
        found = client.get(f"/api/v1/persons?q={query}", headers=caseworker.headers).json
        assert [p["family_name"] for p in found["persons"]] == ["Müller"], query


def test_requests_without_credentials_are_401(client: FlaskClient) -> None:
    response = client.get("/api/v1/cases/1")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad = client.get("/api/v1/cases/1", headers={"Authorization": "Bearer ecase_wrong"})
    assert bad.status_code == 401


def test_health_and_readiness(client: FlaskClient, blobs: InMemoryBlobStore) -> None:
    assert client.get("/healthz").json["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "storage": "ok"}
    blobs.unavailable = True
    assert client.get("/readyz").status_code == 503


def test_openapi_document_describes_the_public_paths(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/persons",
        "/api/v1/persons/{person_id}",
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/documents",
        "/api/v1/documents/{document_id}",
        "/api/v1/documents/{document_id}/content",
    ):
        assert path in spec["paths"], path
    upload = spec["paths"]["/api/v1/cases/{case_id}/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
