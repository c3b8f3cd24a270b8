"""What the pipeline benchmarks share: bench/ocr.py's baseline, one bench office, timed rounds.

Loaded by ``bench/ingest.py`` and ``bench/batch.py`` as a sibling script (``python bench/x.py``
puts ``bench/`` first on the path), so a change to the office or the rounds is made once.
"""

from __future__ import annotations

import importlib.util
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ecase.bootstrap import build_context, upgrade_database
from ecase.config import Settings
from ecase.domain.actor import Actor
from ecase.services import setup
from ecase.services.access import users
from ecase.services.casefile import cases, persons
from ecase.services.context import Context

HERE = Path(__file__).resolve().parent


def load_ocr_bench() -> ModuleType:
    """bench/ocr.py, for its raw-tesseract baseline and machine description.

    Loaded by path under another name: ``import ocr`` would find the ``ocr`` package.
    """
    spec = importlib.util.spec_from_file_location("bench_ocr", HERE / "ocr.py")
    if spec is None or spec.loader is None:
        raise SystemExit("bench/ocr.py not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Office:
    """One ECASE_HOME with a caseworker and an open case file to upload into."""

    ctx: Context
    actor: Actor
    case_id: int
    reference: str


def open_office(home: Path, processes: int) -> Office:
    env = {"ECASE_HOME": str(home), "ECASE_OCR_PROCESSES": str(processes)}
    settings = Settings.from_env(env)
    upgrade_database(settings.database_url)
    ctx = build_context(settings)
    setup.ensure_file_plan_entry(ctx, settings.default_file_plan)
    users.create_team(ctx, None, "Bench")
    # nobody logs in: the account only has to exist and own the uploads
    password = secrets.token_urlsafe(24) + "-A1"
    users.create_user(ctx, None, "bench", "caseworker", password, teams=("Bench",))
    actor = users.get_actor(ctx, "bench")
    person = persons.create_person(ctx, actor, persons.NewPerson("Bondarenko", "Iryna"))
    case = cases.create_case(ctx, actor, cases.NewCase(person.id, "Aufenthaltserlaubnis"))
    return Office(ctx, actor, case.id, case.reference)


def timed_rounds(
    runs: Sequence[tuple[str, Callable[[], None]]], repeat: int
) -> dict[str, list[float]]:
    """Seconds per run and round; rounds interleave the runs, so drift in a shared VM's speed
    hits all alike."""
    times: dict[str, list[float]] = {name: [] for name, _ in runs}
    for _ in range(max(repeat, 1)):
        for name, run in runs:
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times
