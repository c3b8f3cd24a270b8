"""Compressed pages and JSON for slow lines; downloads and partial answers stay byte-exact."""

from __future__ import annotations

import gzip
import io

import brotli  # type: ignore[import-untyped]  # ships no type information
from flask import Flask, Response
from flask.testing import FlaskClient

from tests.conftest import StaffUser
from tests.support.files import minimal_pdf
from tests.support.web import login

GZIP = {"Accept-Encoding": "gzip"}


def _case_with_document(client: FlaskClient, user: StaffUser, pdf: bytes) -> tuple[int, int]:
    person = client.post(
        "/api/v1/persons",
        json={"family_name": "Yılmaz", "given_names": "Ayşe", "birth_date": "1990-02-03"},
        headers=user.headers,
    ).json
    case = client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "subject": "Aufenthaltserlaubnis " + "x" * 400},
        headers=user.headers,
    ).json
    upload = client.post(
        f"/api/v1/cases/{case['id']}/documents",
        data={"file": (io.BytesIO(pdf), "antrag.pdf"), "title": "Antrag"},
        headers=user.headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 202, upload.json
    return int(case["id"]), int(upload.json["id"])


def test_pages_are_gzipped_when_the_browser_accepts_it(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    case_id, _ = _case_with_document(client, caseworker, minimal_pdf())
    login(client, caseworker)
    plain = client.get(f"/cases/{case_id}")
    packed = client.get(f"/cases/{case_id}", headers=GZIP)
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    html = gzip.decompress(packed.get_data()).decode()
    assert "Aufenthaltserlaubnis" in html
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())
    assert len(packed.get_data()) < len(plain.get_data())
    # Compression must not loosen the rule that pages with personal data are not stored.
    assert packed.headers["Cache-Control"] == "no-store"


def test_json_is_compressed_and_brotli_preferred(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    case_id, _ = _case_with_document(client, caseworker, minimal_pdf())
    url = f"/api/v1/cases/{case_id}"
    packed = client.get(url, headers={**caseworker.headers, **GZIP})
    assert packed.status_code == 200
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()).decode().startswith("{")
    both = client.get(url, headers={**caseworker.headers, "Accept-Encoding": "gzip, br"})
    assert both.headers["Content-Encoding"] == "br"
    assert brotli.decompress(both.get_data()) == gzip.decompress(packed.get_data())


def test_original_download_is_never_compressed(client: FlaskClient, caseworker: StaffUser) -> None:
    pdf = minimal_pdf("Hallo " * 200)
    _, document_id = _case_with_document(client, caseworker, pdf)
    login(client, caseworker)
    response = client.get(f"/documents/{document_id}/original", headers=GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == pdf


def test_streamed_and_partial_text_answers_stay_identity(app: Flask) -> None:
    """Compressing a 206 would make its Content-Range count bytes nobody receives."""
    text = "Aktenvermerk " * 500

    @app.route("/_test/partial")
    def partial() -> Response:
        response = Response(text[:1000], status=206, mimetype="text/plain")
        response.headers["Content-Range"] = f"bytes 0-999/{len(text)}"
        return response

    @app.route("/_test/stream")
    def stream() -> Response:
        return Response(iter([text, text]), mimetype="text/html")

    @app.route("/_test/whole")
    def whole() -> Response:
        return Response(text, mimetype="text/plain")

    client = app.test_client()
    partial_answer = client.get("/_test/partial", headers=GZIP)
    assert partial_answer.status_code == 206
    assert "Content-Encoding" not in partial_answer.headers
    assert partial_answer.get_data(as_text=True) == text[:1000]
    streamed = client.get("/_test/stream", headers=GZIP)
    assert "Content-Encoding" not in streamed.headers
    assert streamed.get_data(as_text=True) == text * 2
    # The same text answered whole is compressed: the exceptions above are the rule's only ones.
    assert client.get("/_test/whole", headers=GZIP).headers["Content-Encoding"] == "gzip"


def test_small_answers_and_clients_without_gzip_get_identity(client: FlaskClient) -> None:
    health = client.get("/healthz", headers=GZIP)
    assert health.status_code == 200
    assert "Content-Encoding" not in health.headers
    login_page = client.get("/login", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in login_page.headers
