"""A newcomer's first hour, over real HTTP against ``ecase serve`` with its worker.

Embedded (SQLite + files + SQLite queue) and multi-node shaped (PostgreSQL + S3 server +
Redis queue): create a person and a case file through the API, upload a PDF, get the same
bytes back, and watch the document become ready.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ecase.db import normalise_database_url
from tests.support.files import minimal_pdf
from tests.support.s3 import run_moto_s3
from tests.support.services import POSTGRES_URL, REDIS_URL, require

pytestmark = pytest.mark.slow
PASSWORD = "Newcomer-Password-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ecase(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ecase.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout.strip()


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "ecase serve exited early"
        try:
            if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    pytest.fail("ecase serve did not become ready within 60 s")


@contextmanager
def _serve(env: dict[str, str]) -> Iterator[tuple[str, str]]:
    port = _free_port()
    env = {**env, "ECASE_PORT": str(port)}
    _ecase(env, "init", "--admin", "root", "--password", PASSWORD)
    _ecase(env, "team", "create", "Sachgebiet 32")
    _ecase(
        env,
        "user",
        "create",
        "erika",
        "--role",
        "caseworker",
        "--team",
        "Sachgebiet 32",
        "--password",
        PASSWORD,
    )
    token = _ecase(env, "token", "create", "erika")
    process = subprocess.Popen(
        [sys.executable, "-m", "ecase.cli", "serve", "--workers", "1"],
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base, token
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


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


def _base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECASE_")}
    env.update({"ECASE_HOME": str(home), "ECASE_OCR_PROCESSES": "1"})
    return env


def test_embedded_installation_end_to_end(tmp_path: Path) -> None:
    with _serve(_base_env(tmp_path / "var")) as (base, token):
        _walk_through(base, token)


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
            env = _base_env(tmp_path / "var")
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
            with _serve(env) as (base, token):
                _walk_through(base, token)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
