"""A worker killed with SIGKILL in the middle of OCR loses nothing and duplicates nothing.

Real tesseract, real SQLite queue, real worker processes: the document ends ``ready``
exactly once, with one set of pages and one searchable PDF on record.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ecase.bootstrap import build_context, upgrade_database
from ecase.config import Settings
from ecase.jobs import Queue
from ecase.models import DerivedFile, Document, DocumentPage
from ecase.services import setup
from ecase.services.access import users
from ecase.services.casefile import cases, documents, persons
from ecase.services.context import Context
from ocr import samples
from search import Scope, SearchQuery
from tests.support.tesseract import require_tesseract

pytestmark = pytest.mark.slow
PASSWORD = "Crash-Test-Password-1"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECASE_")}
    env.update(
        {"ECASE_HOME": str(home), "ECASE_OCR_PROCESSES": "1", "ECASE_JOB_LEASE_SECONDS": "3"}
    )
    return env


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ecase.cli", "worker"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@dataclass(frozen=True)
class Snapshot:
    status: str
    status_reason: str | None
    lease_until: datetime | None
    page_count: int | None


def _document(ctx: Context, doc_id: int) -> Snapshot:
    with ctx.uow() as uow:
        d = uow.session.get(Document, doc_id)
        assert d is not None
        return Snapshot(str(d.status), d.status_reason, d.lease_until, d.page_count)


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_sigkill_during_ocr_then_restart_ends_ready_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tesseract()
    env = _env(tmp_path / "var")
    for key, value in env.items():
        if key.startswith("ECASE_"):
            monkeypatch.setenv(key, value)
    settings = Settings.from_env()
    upgrade_database(settings.database_url)
    queue = Queue(settings)
    ctx = build_context(settings, dispatch_document=queue.dispatch)
    setup.ensure_file_plan_entry(ctx, settings.default_file_plan)
    users.create_team(ctx, None, "T")
    users.create_user(ctx, None, "cw", "caseworker", PASSWORD, teams=("T",))
    actor = users.get_actor(ctx, "cw")
    assert actor is not None
    person = persons.create_person(ctx, actor, persons.NewPerson("Bondarenko", "Iryna"))
    case = cases.create_case(ctx, actor, cases.NewCase(person.id, "Aufenthaltserlaubnis"))
    pages = [samples.render_page(samples.letter_lines(n), dpi=200) for n in range(1, 7)]
    scan = samples.image_pdf(pages, dpi=200)
    doc_id = documents.add_document(
        ctx, actor, case.id, documents.Upload(io.BytesIO(scan), "scan.pdf")
    ).id

    worker = _start_worker(env)
    try:
        _wait_for(lambda: _document(ctx, doc_id).status == "processing", 60, "processing to start")
        time.sleep(1.0)  # well inside the OCR of six pages on one process
        assert _document(ctx, doc_id).status == "processing"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    # The dead worker's lease runs out; the restarted worker's reconciler takes the document.
    _wait_for(
        lambda: (_document(ctx, doc_id).lease_until or datetime.now(UTC)) <= datetime.now(UTC),
        30,
        "the lease to expire",
    )
    worker = _start_worker(env)
    try:
        _wait_for(lambda: _document(ctx, doc_id).status in {"ready", "failed"}, 240, "the document")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)

    document = _document(ctx, doc_id)
    assert document.status == "ready", document.status_reason
    assert document.page_count == 6
    with ctx.uow() as uow:
        page_rows = uow.session.execute(select(func.count()).select_from(DocumentPage)).scalar_one()
        derived = uow.session.execute(
            select(DerivedFile.kind, func.count()).group_by(DerivedFile.kind)
        ).all()
    assert page_rows == 6
    assert dict(derived).get("searchable_pdf") == 1
    hits = build_context(settings).index.search(
        SearchQuery("Landratsamt", scope=Scope.unrestricted())
    )
    assert [hit.document_id for hit in hits.hits] == [doc_id]
