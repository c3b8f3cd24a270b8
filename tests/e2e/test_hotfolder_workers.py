"""Two real worker processes watch one hot folder: every file is taken, split and filed once.

Real SQLite database and queue, real sandboxed splitter, real tesseract (the scans here are
born-digital, so extraction reads the text layer and stays fast).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ecase.bootstrap import build_context, upgrade_database
from ecase.config import Settings
from ecase.domain.enums import DocumentStatus
from ecase.models import Document, ScanBatch
from ecase.services import setup
from ecase.services.context import Context
from ocr import samples
from tests.support.scans import as_pdf
from tests.support.tesseract import require_tesseract

pytestmark = pytest.mark.slow


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECASE_")}
    env.update({"ECASE_HOME": str(home), "ECASE_OCR_PROCESSES": "1"})
    return env


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def _count(ctx: Context, *conditions: object) -> int:
    with ctx.uow() as uow:
        query = select(func.count()).select_from(Document)
        for condition in conditions:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(uow.session.execute(query).scalar_one())


def test_two_workers_share_the_hot_folder(tmp_path: Path) -> None:
    require_tesseract()
    home = tmp_path / "home"
    env = _env(home)
    settings = Settings.from_env(env)
    home.mkdir(exist_ok=True)
    upgrade_database(settings.database_url)
    ctx = build_context(settings)
    setup.ensure_file_plan_entry(ctx, settings.default_file_plan)
    inbox = settings.inbox_path
    (inbox / "sw-200dpi").mkdir(parents=True)
    names = []
    for i in range(6):
        folder = inbox / "sw-200dpi" if i % 2 else inbox
        name = f"brief-{i}.pdf"
        # written under a temporary name and renamed, as scanners should
        partial = folder / f"{name}.part"
        partial.write_bytes(samples.text_pdf([samples.letter_lines(i + 1)]))
        partial.rename(folder / name)
        names.append(name)
    (inbox / "kein-scan.docx").write_bytes(b"PK\x03\x04 not a scan")
    sheets_batch = as_pdf([samples.render_page(["Nur ein Blatt"], dpi=100)], dpi=100)
    (inbox / "einzelblatt.pdf").write_bytes(sheets_batch)
    names.append("einzelblatt.pdf")

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "ecase.cli", "worker"],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        _wait_for(
            lambda: _count(ctx, Document.status == DocumentStatus.READY) == len(names),
            240,
            "every scanned document to be ready",
        )
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()

    with ctx.uow() as uow:
        batches = list(uow.session.execute(select(ScanBatch)).scalars())
    assert sorted(b.source_filename for b in batches) == sorted(names)
    assert all(b.status == "done" and b.duplicate_of_id is None for b in batches)
    assert {b.profile for b in batches} == {"", "sw-200dpi"}
    assert _count(ctx) == len(names), "each file filed exactly once"
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == [
        "kein-scan.docx",
        "kein-scan.docx.reason.txt",
    ]
    left = [p for p in inbox.rglob("*") if p.is_file() and "failed" not in p.parts]
    assert [p.name for p in left if p.name != ".heartbeat"] == []
