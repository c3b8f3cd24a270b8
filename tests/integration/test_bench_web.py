"""bench/web.py end to end on a tiny office: it loads, serves, logs in, measures and reports.

No timing is asserted: the benchmark's numbers belong in docs/benchmarks.md. What is checked
is that every scenario ran against the real server, all its answers were 200, and the
table and the JSON carry every scenario with its figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ecase.db import normalise_database_url
from tests.support.services import POSTGRES_URL, require

BENCH = Path(__file__).resolve().parents[2] / "bench" / "web.py"
SCENARIOS = {"baseline", "document_json", "case_view", "person_search", "start_page"}
TINY = (
    "--persons", "120", "--cases", "60", "--documents", "400", "--hot-documents", "40",
    "--teams", "2", "--clients", "2", "--requests", "8",
)  # fmt: skip

pytestmark = pytest.mark.slow


def _run(database_url: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(BENCH), "--database-url", database_url, "--out", str(out)]
    return subprocess.run(
        [*command, *TINY, *extra],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _check(result: subprocess.CompletedProcess[str], out: Path, database: str) -> None:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    report = json.loads((out / "web.json").read_text())
    assert report["database"] == database
    assert report["dataset"]["rows"]["documents"] == 400
    assert report["dataset"]["rows"]["person_name_keys"] > 120
    by_name = {s["name"]: s for s in report["scenarios"]}
    assert set(by_name) == SCENARIOS
    for scenario in by_name.values():
        assert scenario["requests"] == 8
        assert scenario["errors"] == 0
        assert scenario["status_codes"] == {"200": 8}
        assert 0 < scenario["p50_ms"] <= scenario["p95_ms"] <= scenario["p99_ms"]
        assert 0 < scenario["alone_p50_ms"] <= scenario["alone_p95_ms"]
        assert scenario["server_cpu_ms"] >= 0
        assert scenario["rps"] > 0
    # The case view carries the 40 documents of the hot file: it must be the largest page.
    assert by_name["case_view"]["mean_body_bytes"] > by_name["baseline"]["mean_body_bytes"]
    table = (out / "web.md").read_text()
    for label in ("baseline: GET /healthz", "case view, 40-document file", "start page GET /"):
        assert label in table
        assert label in result.stdout


def test_bench_runs_every_scenario_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "results"
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    _check(_run(url, out), out, "sqlite")


@pytest.mark.postgres
def test_bench_runs_every_scenario_on_postgres(tmp_path: Path) -> None:
    url = make_url(normalise_database_url(POSTGRES_URL))
    require(url.host or "127.0.0.1", url.port or 5432, "PostgreSQL")
    name = f"ecase_bench_test_{uuid.uuid4().hex[:8]}"
    out = tmp_path / "results"
    try:
        # Two server processes: sessions are rows, so either one serves every client.
        result = _run(
            url.set(database=name).render_as_string(hide_password=False), out, "--processes", "2"
        )
        _check(result, out, "postgresql")
        assert json.loads((out / "web.json").read_text())["server"]["processes"] == 2
    finally:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
