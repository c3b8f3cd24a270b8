"""A newcomer's first hour, over real HTTP against ``ecase serve`` with its worker.

Embedded (SQLite + files + SQLite queue) and multi-node shaped (PostgreSQL + S3 server +
Redis queue): create a person and a case file through the API, upload a PDF, get the same
bytes back, and watch the document become ready.
"""

from __future__ import annotations

import hashlib
import socket
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ecase.db import normalise_database_url
from tests.support.files import minimal_pdf
from tests.support.s3 import run_moto_s3
from tests.support.server import base_env, serve
from tests.support.services import POSTGRES_URL, REDIS_URL, require

pytestmark = pytest.mark.slow
PASSWORD = "Newcomer-Password-1"


def _walk_through(base: str, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    person = requests.post(
        f"{base}/api/v1/persons",
        json={"family_name": "Kowalczyk", "given_names": "Zofia", "birth_date": "1988-11-02"},
        headers=auth,
        timeout=10,
    )
    assert person.status_code == 201, person.text
    case = requests.post(
        f"{base}/api/v1/cases",
        json={"person_id": person.json()["id"], "subject": "Niederlassungserlaubnis"},
        headers=auth,
        timeout=10,
    )
    assert case.status_code == 201, case.text
    pdf = minimal_pdf("Antrag auf Niederlassungserlaubnis Kowalczyk")
    upload = requests.post(
        f"{base}/api/v1/cases/{case.json()['id']}/documents",
        files={"file": ("antrag.pdf", pdf, "application/pdf")},
        data={"title": "Antrag"},
        headers=auth,
        timeout=30,
    )
    assert upload.status_code == 202, upload.text
    doc_id = upload.json()["id"]
    back = requests.get(f"{base}/api/v1/documents/{doc_id}/content", headers=auth, timeout=30)
    assert back.status_code == 200
    assert hashlib.sha256(back.content).hexdigest() == hashlib.sha256(pdf).hexdigest()

    deadline = time.monotonic() + 90
    status = ""
    while time.monotonic() < deadline:
        status = requests.get(f"{base}/api/v1/documents/{doc_id}", headers=auth, timeout=10).json()[
            "status"
        ]
        if status in {"ready", "failed"}:
            break
        time.sleep(0.5)
    assert status == "ready"
    text_body = requests.get(
        f"{base}/api/v1/documents/{doc_id}/text", headers=auth, timeout=10
    ).json()
    assert "Niederlassungserlaubnis" in text_body["text"]
    hits = requests.get(
        f"{base}/api/v1/search", params={"q": "Niederlassungserlaubnis"}, headers=auth, timeout=10
    ).json()
    assert [h["document_id"] for h in hits["hits"]] == [doc_id]

    login_page = requests.get(f"{base}/login", timeout=10)
    assert login_page.status_code == 200
    assert "csrf_token" in login_page.text


def test_embedded_installation_end_to_end(tmp_path: Path) -> None:
    with serve(base_env(tmp_path / "var")) as running:
        _walk_through(running.base, running.token)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.s3
def test_postgres_s3_redis_installation_end_to_end(tmp_path: Path) -> None:
    pg = make_url(normalise_database_url(POSTGRES_URL))
    require(pg.host or "127.0.0.1", pg.port or 5432, "PostgreSQL")
    require("127.0.0.1", 6379, "Redis")
    name = f"ecase_e2e_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with run_moto_s3() as s3:
            env = base_env(tmp_path / "var")
            env.update(
                {
                    "ECASE_DATABASE_URL": f"postgresql://{pg.username}@{pg.host}:{pg.port}/{name}",
                    "ECASE_STORAGE_URL": s3.storage_url("ecase-e2e"),
                    "ECASE_S3_ACCESS_KEY": s3.access_key,
                    "ECASE_S3_SECRET_KEY": s3.secret_key,
                    "ECASE_QUEUE_URL": REDIS_URL.rsplit("/", 1)[0] + "/14",
                }
            )
            redis.Redis.from_url(env["ECASE_QUEUE_URL"]).flushdb()
            with serve(env) as running:
                _walk_through(running.base, running.token)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_an_oversized_upload_is_refused_on_its_header_before_the_body_is_sent(
    tmp_path: Path,
) -> None:
    """The 413 comes back while the client has sent nothing but the headers: the server
    decides on Content-Length instead of reading 300 MB first (an outside test saw 13.9 s)."""
    env = {**base_env(tmp_path / "var"), "ECASE_MAX_UPLOAD_BYTES": str(5 * 1024 * 1024)}
    with serve(env) as running:
        host, port = running.base.removeprefix("http://").split(":")
        head = (
            "POST /api/v1/cases/1/documents HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\n"
            f"Authorization: Bearer {running.token}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {300 * 1024 * 1024}\r\n\r\n"
        )
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            conn.sendall(head.encode("ascii"))
            answer = conn.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 413"), answer[:200]
