"""A hung S3 server, seen through HTTP: uploads and downloads answer 503, /readyz says so.

The store talks to moto through a `StallingServer`, which relays until a test makes it
hang, so documents can be stored first and then become unreachable under the same
endpoint. The store's timeout is one second (from the storage URL) to keep this quick.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from storage import BlobStore
from storage.url import open_blob_store
from tests.conftest import StaffUser
from tests.support.files import minimal_pdf
from tests.support.s3 import S3Server, run_moto_s3
from tests.support.stalling import StallingServer, run_stalling_server

pytestmark = [pytest.mark.s3, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    with run_moto_s3() as server:
        yield server


@pytest.fixture
def stalling(s3_server: S3Server) -> Iterator[StallingServer]:
    with run_stalling_server(upstream=s3_server.endpoint) as server:
        yield server


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """The subject is storage, so SQLite is enough (overrides the two-database fixture)."""
    return sqlite_engine


@pytest.fixture
def blobs(s3_server: S3Server, stalling: StallingServer) -> BlobStore:
    """The app's store (overrides the in-memory one): S3 behind the stalling server."""
    bucket = f"outage-{uuid.uuid4().hex[:16]}"
    url = f"s3://{bucket}?endpoint={stalling.endpoint}&secure=0&region={s3_server.region}&timeout=1"
    return open_blob_store(url, access_key=s3_server.access_key, secret_key=s3_server.secret_key)


def _case_id(client: FlaskClient, user: StaffUser) -> int:
    person = client.post(
        "/api/v1/persons",
        json={"family_name": "Haddad", "given_names": "Lina", "birth_date": "1988-11-02"},
        headers=user.headers,
    )
    assert person.status_code == 201, person.json
    case = client.post(
        "/api/v1/cases",
        json={"person_id": person.json["id"], "subject": "Niederlassungserlaubnis"},
        headers=user.headers,
    )
    assert case.status_code == 201, case.json
    return int(case.json["id"])


def _upload(client: FlaskClient, user: StaffUser, case_id: int, data: bytes) -> TestResponse:
    return client.post(
        f"/api/v1/cases/{case_id}/documents",
        data={"file": (io.BytesIO(data), "antrag.pdf"), "title": "Antrag"},
        headers=user.headers,
        content_type="multipart/form-data",
    )


def _stored_document(client: FlaskClient, user: StaffUser, case_id: int, text: str) -> Any:
    accepted = _upload(client, user, case_id, minimal_pdf(text))
    assert accepted.status_code == 202, accepted.json
    return accepted.json


def _assert_temporarily_unavailable(response: TestResponse) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    # The same hint a database outage gives: a whole number of seconds.
    assert int(response.headers["Retry-After"]) > 0


def test_upload_while_storage_hangs_answers_503_and_stores_nothing(
    client: FlaskClient, caseworker: StaffUser, stalling: StallingServer, blobs: BlobStore
) -> None:
    case_id = _case_id(client, caseworker)
    before = _stored_document(client, caseworker, case_id, "Erster Antrag")

    stalling.hang()
    response = _upload(client, caseworker, case_id, minimal_pdf("Zweiter Antrag"))

    _assert_temporarily_unavailable(response)
    assert "not reachable" in response.json["message"]
    stalling.forward()
    case = client.get(f"/api/v1/cases/{case_id}", headers=caseworker.headers).json
    assert [d["id"] for d in case["documents"]] == [before["id"]]
    assert list(blobs.iter_keys()) == [before["sha256"]]


def test_download_while_storage_hangs_answers_503(
    client: FlaskClient, caseworker: StaffUser, stalling: StallingServer
) -> None:
    document = _stored_document(client, caseworker, _case_id(client, caseworker), "Antrag")

    stalling.hang()
    response = client.get(f"/api/v1/documents/{document['id']}/content", headers=caseworker.headers)

    _assert_temporarily_unavailable(response)


def test_download_whose_body_stalls_answers_503(
    client: FlaskClient, caseworker: StaffUser, stalling: StallingServer
) -> None:
    document = _stored_document(client, caseworker, _case_id(client, caseworker), "Antrag")

    stalling.stall_body()
    response = client.get(f"/api/v1/documents/{document['id']}/content", headers=caseworker.headers)

    _assert_temporarily_unavailable(response)


def test_readyz_reports_storage_not_ready_while_it_hangs(
    client: FlaskClient, stalling: StallingServer
) -> None:
    assert client.get("/readyz").status_code == 200

    stalling.hang()
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["storage"].startswith("unavailable")
    stalling.forward()
    assert client.get("/readyz").status_code == 200
