"""Benchmark of the caseworker's workspace under load: case view, person search, start page.

Run: ``.venv/bin/python bench/web.py [--quick]``. Loads an office into a database of its
own (PostgreSQL ``ecase_bench``, dropped and recreated per run; ``--reuse`` keeps it):
100,000 persons with their name keys, 150,000 case files, 1,000,000 documents with a
version each (metadata only, bulk-loaded with COPY), 20 teams with one caseworker each, and
per team one case file with 500 documents. Then it serves the real app (``ecase serve``,
waitress, a subprocess) on loopback, logs 20 clients in through the real pages (password,
TOTP), and lets them work concurrently, each with its own session and keep-alive
connection, for a fixed number of requests per scenario.

Every scenario is measured against a baseline in the same run: ``/healthz`` on the same
server through the same clients (routing, security headers, compression check; no
session, no database), so the ratio says what a page costs beyond the server's floor, on
any machine. A second floor is one document's metadata from the JSON API: session
lookup, policy, one row and one access-log event, with nothing to render. ``--processes
N`` starts N server processes (web nodes sharing the database) and spreads the clients.
Prints a markdown table, writes ``bench/results/web.json`` and ``bench/results/web.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pyotp
import requests
from sqlalchemy import Engine, create_engine, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecase.bootstrap import build_context, upgrade_database
from ecase.config import Settings
from ecase.db import make_engine, normalise_database_url
from ecase.domain import name_matching, names
from ecase.models import Base, FilePlanEntry, Team, User
from ecase.services import demo, setup
from ecase.services.access import users

SEED = 20261125
PASSWORD = "Bench-Password-2026"  # noqa: S105 - the bench office's own throwaway accounts
SECRET_KEY = "bench-secret-key-0123456789-0123456789-0123456789"  # noqa: S105 - ditto
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/ecase_bench"
RESULTS = Path(__file__).resolve().parent / "results"
HOT_REFERENCE = "BENCH-HOT"  # marks the 500-document files in the subject
TARGET_P95_MS = 100.0
SOLO_REQUESTS = 30  # per scenario, one client alone, before the concurrent run
RECENTLY_READY = 0.005  # share of documents that became ready in the last week
LAST_VISIT = timedelta(days=3)  # each caseworker's previous login, for the start page


@dataclass(frozen=True)
class Sizes:
    persons: int
    cases: int
    documents: int
    hot_documents: int
    teams: int
    clients: int
    requests: int  # per scenario, over all clients


FULL = Sizes(100_000, 150_000, 1_000_000, 500, 20, 20, 600)
QUICK = Sizes(2_000, 3_000, 20_000, 100, 4, 4, 80)

# Names beyond the demo office's: the office's real mix of origins, with the spellings
# they arrive in, so that common names have thousands of holders and variants must match.
EXTRA_FAMILIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Ahmadi", ("Ahmady",), "AFG"),
    ("Mohammadi", ("Muhammadi",), "AFG"),
    ("Karimi", ("Karimy",), "IRN"),
    ("Hussain", ("Hussein", "Husain"), "IRQ"),
    ("Ali", ("Aly",), "SYR"),
    ("Khalil", ("Chalil",), "SYR"),
    ("Ibrahim", ("Ebrahim",), "SDN"),
    ("Mahmoud", ("Mahmud", "Machmud"), "EGY"),
    ("Demir", ("Demirr",), "TUR"),
    ("Şahin", ("Sahin", "Schahin"), "TUR"),
    ("Çelik", ("Celik", "Tschelik"), "TUR"),
    ("Aydın", ("Aydin",), "TUR"),
    ("Kowalski", ("Kowalsky",), "POL"),
    ("Wiśniewski", ("Wisniewski",), "POL"),
    ("Popescu", ("Popesku",), "ROU"),
    ("Ivanova", ("Iwanowa",), "UKR"),
    ("Bondarenko", ("Bondarenka",), "UKR"),
    ("Tkachenko", ("Tkatschenko",), "UKR"),
    ("Kuznetsov", ("Kusnezow", "Kuznecov"), "RUS"),
    ("Nguyen", ("Nguyễn",), "VNM"),
    ("Tran", ("Trần",), "VNM"),
    ("Singh", ("Sing",), "IND"),
    ("Kumar", ("Kumaar",), "IND"),
    ("Osei", ("Osey",), "GHA"),
    ("Mensah", ("Mensa",), "GHA"),
    ("Diallo", ("Dialo",), "GIN"),
    ("Haile", ("Hayle",), "ERI"),
    ("Berhane", ("Berhani",), "ERI"),
    ("Hoxha", ("Hodscha",), "ALB"),
    ("Krasniqi", ("Krasnici",), "XKX"),
    ("Petrović", ("Petrovic", "Petrowitsch"), "SRB"),
    ("Jovanović", ("Jovanovic",), "SRB"),
    ("García", ("Garcia",), "ESP"),
    ("Rossi", ("Rosi",), "ITA"),
    ("Santos", ("Santoz",), "BRA"),
    ("Schmidt", ("Schmitt",), "DEU"),
)
EXTRA_GIVEN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Ahmad", ("Ahmed", "Achmed")),
    ("Ali", ("Aly",)),
    ("Hassan", ("Hasan",)),
    ("Mariam", ("Maryam", "Miriam")),
    ("Leyla", ("Leila", "Layla")),
    ("Emine", ("Emina",)),
    ("Mehmet", ("Mehmed", "Mehmat")),
    ("Ayşe", ("Ayse", "Aische")),
    ("Natalia", ("Natalija", "Natalya")),
    ("Dmytro", ("Dmitri", "Dmitrij")),
    ("Iryna", ("Irina",)),
    ("Piotr", ("Peter",)),
    ("Katarzyna", ("Katarina",)),
    ("Minh", ("Min",)),
    ("Priya", ("Pria",)),
    ("Kwame", ("Kwami",)),
    ("Abebe", ("Abebé",)),
    ("Arben", ("Arbeni",)),
    ("Luca", ("Luka",)),
    ("Sofía", ("Sofia", "Sophia")),
)
SYLLABLES = (
    "ka", "ri", "mo", "na", "ta", "zu", "le", "bo", "sha", "mir", "dan", "el", "or", "vi",
    "ko", "sa", "ha", "di", "ru", "ne", "ya", "go", "fa", "tek", "lin", "mar", "bur", "zin",
)  # fmt: skip
DOC_TITLES = (
    "Antrag auf Verlängerung",
    "Reisepass (Kopie)",
    "Meldebescheinigung",
    "Gehaltsnachweis",
    "Mietvertrag",
    "Krankenversicherungsnachweis",
    "Bescheid",
    "Schreiben der Rechtsanwältin",
    "Anhörung",
    "Sprachnachweis B1",
    "Arbeitsvertrag",
    "Geburtsurkunde",
)


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible test data, nothing secret


# -- the office ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    id: int
    family: str
    given: str
    aliases: tuple[str, ...]
    birth: date
    nationality: str


def _rare_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def people(count: int) -> Iterator[PersonRow]:
    """Zipf-like over the known names (common names are very common), a long tail of rare ones."""
    rng = _rng(SEED)
    families = demo.FAMILIES + EXTRA_FAMILIES
    given = demo.GIVEN + EXTRA_GIVEN
    fam_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(families))]
    giv_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(given))]
    for person_id in range(1, count + 1):
        aliases: list[str] = []
        if rng.random() < 0.35:
            family = _rare_name(rng) + rng.choice(("", "", "i", "ov", "yan", "ski"))
            nationality = rng.choice(("SYR", "AFG", "TUR", "UKR", "ERI", "NGA", "IRN", "VNM"))
        else:
            family, variants, nationality = rng.choices(families, fam_weights)[0]
            if variants and rng.random() < 0.3:
                aliases.append(rng.choice(variants))
        first, first_variants = rng.choices(given, giv_weights)[0]
        if first_variants and rng.random() < 0.15:
            aliases.append(f"{family} {rng.choice(first_variants)}")
        birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55))
        yield PersonRow(person_id, family, first, tuple(aliases), birth, nationality)


@lru_cache(maxsize=200_000)
def _name_entries(family: str, given: str, aliases: tuple[str, ...]) -> list[tuple[str, str]]:
    # The same function create_person stores its rows with (services/persons._name_keys).
    return name_matching.person_entries(family, given, aliases)


@lru_cache(maxsize=200_000)
def _search_key(value: str) -> str:
    return names.search_key(value)


class Loader:
    """Bulk-writes rows: COPY on PostgreSQL, batched INSERTs on SQLite (smoke tests)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        if self.postgres:
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                raw.commit()
            finally:
                raw.close()
            return count
        target = Base.metadata.tables[table]
        batch: list[dict[str, Any]] = []
        with self.engine.begin() as conn:
            for row in rows:
                batch.append(dict(zip(columns, row, strict=True)))
                count += 1
                if len(batch) == 5000:
                    conn.execute(target.insert(), batch)
                    batch = []
            if batch:
                conn.execute(target.insert(), batch)
        return count


@dataclass
class Office:
    """What the measurement needs to know about the loaded data."""

    users: list[tuple[str, str]]  # (username, TOTP secret)
    hot_cases: dict[str, int]  # username -> the 500-document file of their team
    hot_documents: int  # documents per hot file; file k holds ids (k-1)*n+1 .. k*n
    queries: list[str]
    counts: dict[str, int] = field(default_factory=dict)


def load(url: str, sizes: Sizes, *, log: Callable[[str], None] = print) -> Office:
    """Migrate, then fill the database; returns the users, hot files and search queries."""
    started = time.perf_counter()
    upgrade_database(url)
    log(f"migrated in {time.perf_counter() - started:.1f} s")
    office = OfficeLoader(url, sizes)
    try:
        for name, step in (
            ("staff", office.staff),
            ("persons", office.persons),
            ("case files", office.case_files),
            ("documents", office.documents),
            ("versions", office.versions),
            ("recent files", office.recent_files),
        ):
            begun = time.perf_counter()
            rows = step()
            log(f"{name}: {rows:,} rows in {time.perf_counter() - begun:.1f} s")
        finish(office.engine)
        users_out = [(username, enrol(office.engine, username)) for username in office.usernames]
    finally:
        office.engine.dispose()
    log(f"loaded in {time.perf_counter() - started:.1f} s")
    return Office(
        users_out,
        office.hot_cases,
        sizes.hot_documents,
        search_queries(office.people),
        office.counts,
    )


class OfficeLoader:
    """The steps of ``load``, sharing the ids each one hands to the next."""

    def __init__(self, url: str, sizes: Sizes) -> None:
        self.sizes = sizes
        self.settings = bench_settings(url, Path(tempfile.mkdtemp(prefix="ecase-bench-web-")))
        self.engine = make_engine(url)
        self.ctx = build_context(self.settings, engine=self.engine)
        self.loader = Loader(self.engine)
        self.rng = _rng(SEED + 1)
        self.now = datetime.now(UTC)
        self.team_names = [f"Sachgebiet {31 + i:02d}" for i in range(sizes.teams)]
        self.usernames = [f"sb{i + 1:02d}" for i in range(sizes.teams)]
        self.team_ids: list[int] = []
        self.case_team: list[int] = [0]  # case id -> team id (ids start at 1)
        self.hot_cases: dict[str, int] = {}
        self.people: list[PersonRow] = []
        self.counts: dict[str, int] = {}
        self.plan_id = 0

    def _write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        self.counts[table] = self.loader.write(table, columns, rows)
        return self.counts[table]

    def staff(self) -> int:
        """Teams and caseworkers through the real services (password hashing included)."""
        setup.ensure_file_plan_entry(self.ctx, self.settings.default_file_plan)
        for team, username in zip(self.team_names, self.usernames, strict=True):
            users.create_team(self.ctx, None, team)
            users.create_user(self.ctx, None, username, "caseworker", PASSWORD, teams=(team,))
        with self.engine.connect() as conn:
            self.plan_id = conn.execute(select(FilePlanEntry.id)).scalar_one()
            self.team_ids = [
                conn.execute(select(Team.id).where(Team.name == name)).scalar_one()
                for name in self.team_names
            ]
        return len(self.usernames)

    def persons(self) -> int:
        self.people = list(people(self.sizes.persons))
        now = self.now
        self._write(
            "persons",
            ("id", "family_name", "given_names", "birth_date", "nationality", "search_key",
             "created_at", "updated_at"),
            ((p.id, p.family, p.given, p.birth, p.nationality,
              _search_key(f"{p.family} {p.given}"), now, now) for p in self.people),
        )  # fmt: skip
        alias_rows = [(p.id, a) for p in self.people for a in p.aliases]
        self._write(
            "person_aliases",
            ("id", "person_id", "name", "kind", "search_key"),
            ((i, pid, a, "variant", _search_key(a)) for i, (pid, a) in enumerate(alias_rows, 1)),
        )

        def key_rows() -> Iterator[tuple[int, int, str, str]]:
            row_id = 0
            for p in self.people:
                for key, form in _name_entries(p.family, p.given, p.aliases):
                    row_id += 1
                    yield row_id, p.id, key, form

        self._write("person_name_keys", ("id", "person_id", "key", "form"), key_rows())
        return (
            self.counts["persons"] + self.counts["person_aliases"] + self.counts["person_name_keys"]
        )

    def case_files(self) -> int:
        """Case files over eleven years; the first one of each team is its 500-document file."""
        rng, sizes = self.rng, self.sizes
        year_seq: dict[int, int] = {}

        def rows() -> Iterator[tuple[Any, ...]]:
            for case_id in range(1, sizes.cases + 1):
                year = rng.randint(2016, 2026)
                year_seq[year] = year_seq.get(year, 0) + 1
                hot = case_id <= sizes.teams
                team_id = self.team_ids[case_id - 1] if hot else rng.choice(self.team_ids)
                self.case_team.append(team_id)
                if hot:
                    self.hot_cases[self.usernames[case_id - 1]] = case_id
                subject = rng.choice(demo.SUBJECTS) + (f" ({HOT_REFERENCE})" if hot else "")
                closed = not hot and rng.random() < 0.4
                created = self.now - timedelta(days=365 * (2026 - year) + rng.randint(0, 300))
                reference = self.ctx.scheme.format(
                    self.settings.default_file_plan, year, year_seq[year]
                )
                yield (
                    case_id, reference, rng.randint(1, sizes.persons), self.plan_id, subject,
                    team_id, "closed" if closed else "open", created, created,
                    created + timedelta(days=200) if closed else None,
                )  # fmt: skip

        count = self._write(
            "case_files",
            ("id", "reference", "person_id", "file_plan_id", "subject", "team_id", "status",
             "created_at", "updated_at", "closed_at"),
            rows(),
        )  # fmt: skip
        with self.engine.begin() as conn:
            for year, seq in year_seq.items():
                conn.execute(
                    text(
                        "INSERT INTO reference_counters (plan_code, year, last_seq) "
                        "VALUES (:plan, :year, :seq)"
                    ),
                    {"plan": self.settings.default_file_plan, "year": year, "seq": seq},
                )
        return count

    def documents(self) -> int:
        rng, sizes = self.rng, self.sizes
        hot_total = sizes.hot_documents * sizes.teams

        def rows() -> Iterator[tuple[Any, ...]]:
            for document_id in range(1, sizes.documents + 1):
                if document_id <= hot_total:
                    case_id = (document_id - 1) // sizes.hot_documents + 1
                else:
                    case_id = rng.randint(sizes.teams + 1, sizes.cases)
                received = date(2016, 1, 1) + timedelta(days=rng.randint(0, 3800))
                created = datetime(received.year, received.month, received.day, 9, tzinfo=UTC)
                title = rng.choice(DOC_TITLES)
                ready = created + timedelta(minutes=2)
                if rng.random() < RECENTLY_READY:  # "ready since your last visit"
                    ready = self.now - timedelta(hours=rng.uniform(0, 24 * 7))
                yield (
                    document_id, case_id, title, title.split()[0], received,
                    rng.choice(("scan", "scan", "upload", "portal")), "ready", "done", 1, False,
                    rng.randint(1, 12), created, created, ready, True,
                )  # fmt: skip

        return self._write(
            "documents",
            ("id", "case_id", "title", "doc_type", "received_on", "source", "status", "step",
             "attempts", "failure_transient", "page_count", "created_at", "updated_at",
             "ready_at", "pages_rendered"),
            rows(),
        )  # fmt: skip

    def versions(self) -> int:
        rng, now = self.rng, self.now
        return self._write(
            "document_versions",
            ("id", "document_id", "number", "sha256", "size", "media_type",
             "original_filename", "created_at"),
            ((i, i, 1, f"{rng.getrandbits(256):064x}", rng.randint(20_000, 4_000_000),
              "application/pdf", f"scan_{i:07d}.pdf", now)
             for i in range(1, self.sizes.documents + 1)),
        )  # fmt: skip

    def recent_files(self) -> int:
        """Each caseworker opened some files of their team lately (the start page lists them)."""
        with self.engine.connect() as conn:
            user_ids: dict[str, int] = dict(conn.execute(select(User.username, User.id)).all())
        team_cases: dict[int, list[int]] = {}
        for case_id in range(self.sizes.teams + 1, min(self.sizes.cases, 20_000) + 1):
            team_cases.setdefault(self.case_team[case_id], []).append(case_id)
        recent: list[tuple[int, int, datetime]] = []
        for index, username in enumerate(self.usernames):
            mine = team_cases.get(self.team_ids[index], [])
            for k, case_id in enumerate(self.rng.sample(mine, min(30, len(mine)))):
                recent.append((user_ids[username], case_id, self.now - timedelta(hours=k + 1)))
        return self._write("recent_case_views", ("user_id", "case_id", "viewed_at"), recent)


def finish(engine: Engine) -> None:
    """Move the id sequences past the copied ids and refresh the planner's statistics."""
    if engine.dialect.name != "postgresql":
        return
    tables = ("persons", "person_aliases", "person_name_keys", "case_files", "documents",
              "document_versions")  # fmt: skip
    with engine.begin() as conn:
        for table in tables:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def enrol(engine: Engine, username: str) -> str:
    """A TOTP factor set up as ``/account/second-factor`` would leave it; returns the secret."""
    secret = pyotp.random_base32()
    with engine.begin() as conn:
        conn.execute(
            update(User)
            .where(User.username == username)
            .values(
                totp_secret=secret,
                totp_enabled_at=datetime.now(UTC),
                totp_last_step=None,
                # The login about to happen makes this "previous": the start page then lists
                # what became ready since, as it would for someone back after a few days.
                last_login_at=datetime.now(UTC) - LAST_VISIT,
            )
        )
    return secret


def search_queries(persons: Sequence[PersonRow]) -> list[str]:
    """Common names (thousands of holders), a rare name, spelling variants, name and date."""
    rng = _rng(SEED + 2)
    rare = next(p for p in persons if not any(p.family == f for f, _, _ in demo.FAMILIES))
    dated = persons[len(persons) // 2]
    return [
        "Mohammed",
        "Al-Hassan Mohammed",
        "Yılmaz",
        "Jilmas Fatma",  # a transcription of Yılmaz
        "Schewtschenko Olena",  # German transcription of Shevchenko
        "Mueller Anna",
        f"{rare.family} {rare.given}",
        f"{rare.family[:-1]}",  # a prefix of a rare name
        f"{dated.family} {dated.birth:%d.%m.%Y}",
        rng.choice(("Hoseyni", "Husseini")),
    ]


def reuse(url: str, sizes: Sizes) -> Office:
    """Use the database of an earlier run: new TOTP secrets, the same files and names."""
    engine = make_engine(url)
    try:
        usernames = [f"sb{i + 1:02d}" for i in range(sizes.teams)]
        users_out = [(username, enrol(engine, username)) for username in usernames]
        hot = dict(zip(usernames, range(1, sizes.teams + 1), strict=True))
        with engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                for t in ("persons", "case_files", "documents", "document_versions")
            }
    finally:
        engine.dispose()
    queries = search_queries(list(people(sizes.persons)))
    return Office(users_out, hot, sizes.hot_documents, queries, counts)


def recreate_database(url: str) -> None:
    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() != "postgresql":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def database_exists(url: str) -> bool:
    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() != "postgresql":
        return Path(parsed.database or "").exists()
    admin = create_engine(parsed.set(database="postgres"))
    try:
        with admin.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            ).first()
    finally:
        admin.dispose()
    return found is not None


def bench_settings(url: str, home: Path) -> Settings:
    return Settings.from_env(bench_env(url, home))


def bench_env(url: str, home: Path) -> dict[str, str]:
    return {
        "ECASE_HOME": str(home),
        "ECASE_DATABASE_URL": url,
        "ECASE_SECRET_KEY": SECRET_KEY,
        "ECASE_STORAGE_URL": f"file://{home / 'blobs'}",
    }


# -- the server and its clients ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``ecase serve --workers 0`` in a subprocess: the production web server, no worker."""

    def __init__(self, url: str, threads: int) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="ecase-bench-serve-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECASE_")}
        env.update(bench_env(url, self.home))
        self.log = (self.home / "serve.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ecase.cli", "serve", "--workers", "0",
             "--port", str(self.port), "--threads", str(threads)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"ecase serve exited; see {self.home / 'serve.log'}")
            try:
                if requests.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise SystemExit("ecase serve did not become ready within 90 s")

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far (Linux ``/proc``; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        utime, stime = int(fields[11]), int(fields[12])
        return (utime + stime) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    if not match:
        raise RuntimeError("form without CSRF token")
    return match.group(1)


def log_in(base: str, username: str, secret: str) -> requests.Session:
    """Password, then a TOTP code, through the real pages; the session keeps its connection."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30)
    answer = session.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": _csrf(page.text)},
        timeout=30,
    )
    if urlsplit(answer.url).path != "/login/code":
        raise RuntimeError(f"{username}: password step ended at {answer.url}")
    code = session.post(
        answer.url,
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": _csrf(answer.text)},
        timeout=30,
    )
    if code.status_code != 200 or urlsplit(code.url).path.startswith("/login"):
        raise RuntimeError(f"{username}: second factor refused ({code.status_code} {code.url})")
    return session


@dataclass
class Scenario:
    name: str
    label: str
    urls: Callable[[int, int], str]  # (client index, request number) -> path


@dataclass
class Result:
    name: str
    label: str
    path_example: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    mean_wire_bytes: float
    mean_body_bytes: float
    p95_vs_baseline: float = 0.0
    status_codes: dict[str, int] = field(default_factory=dict)
    alone_p50_ms: float = 0.0
    alone_p95_ms: float = 0.0
    server_cpu_ms: float = 0.0  # CPU of the server process per request


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[k]


def run_scenario(
    bases: Sequence[str],
    sessions: Sequence[requests.Session],
    scenario: Scenario,
    total: int,
    think_ms: float = 0.0,
) -> Result:
    """Every client sends its share; latency per request, throughput overall.

    ``think_ms`` is the pause of a person between two clicks (uniformly 0.5–1.5 times
    it); 0 sends back to back, a stress test in which 20 clients are 20 queued requests.
    """
    pauses = random.Random(SEED)  # noqa: S311 - think times, not secrets
    per_client = max(1, total // len(sessions))
    latencies: list[list[float]] = [[] for _ in sessions]
    statuses: list[list[int]] = [[] for _ in sessions]
    sizes: list[list[tuple[int, int]]] = [[] for _ in sessions]
    barrier = threading.Barrier(len(sessions) + 1)

    def work(index: int) -> None:
        session, base = sessions[index], bases[index]
        for warm in range(2):  # connection, caches of this client's first requests
            session.get(base + scenario.urls(index, -1 - warm), timeout=60)
        barrier.wait()
        for number in range(per_client):
            started = time.perf_counter()
            response = session.get(base + scenario.urls(index, number), timeout=60)
            body = response.content
            latencies[index].append((time.perf_counter() - started) * 1000)
            statuses[index].append(response.status_code)
            wire = int(response.headers.get("Content-Length", len(body)))
            sizes[index].append((wire, len(body)))
            if think_ms:
                time.sleep(think_ms * pauses.uniform(0.5, 1.5) / 1000)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    flat = [ms for client in latencies for ms in client]
    codes = [code for client in statuses for code in client]
    pairs = [pair for client in sizes for pair in client]
    histogram: dict[str, int] = {}
    for code in codes:
        histogram[str(code)] = histogram.get(str(code), 0) + 1
    return Result(
        name=scenario.name,
        label=scenario.label,
        path_example=scenario.urls(0, 0),
        requests=len(flat),
        errors=sum(1 for code in codes if code != 200),
        seconds=round(seconds, 3),
        rps=round(len(flat) / seconds, 1),
        p50_ms=round(percentile(flat, 50), 1),
        p95_ms=round(percentile(flat, 95), 1),
        p99_ms=round(percentile(flat, 99), 1),
        mean_ms=round(sum(flat) / len(flat), 1),
        mean_wire_bytes=round(sum(w for w, _ in pairs) / len(pairs)),
        mean_body_bytes=round(sum(b for _, b in pairs) / len(pairs)),
        status_codes=histogram,
    )


def person_search_path(base: str, session: requests.Session) -> str:
    """The person search page if it exists yet, else the JSON API it is built on."""
    probe = session.get(f"{base}/persons", params={"q": "Haddad"}, timeout=60)
    return "/persons" if probe.status_code == 200 else "/api/v1/persons"


def scenarios(office: Office, usernames: Sequence[str], search_path: str) -> list[Scenario]:
    queries = office.queries

    def search(index: int, number: int) -> str:
        query = queries[(index * 7 + number) % len(queries)]
        return f"{search_path}?{urlencode({'q': query})}"

    hot_documents = office.hot_documents

    def one_document(index: int, number: int) -> str:
        first = (office.hot_cases[usernames[index]] - 1) * hot_documents + 1
        return f"/api/v1/documents/{first + number % hot_documents}"

    return [
        Scenario("baseline", "baseline: GET /healthz", lambda i, n: "/healthz"),
        # The floor of a logged-in read: session, policy, one row, one audit event, JSON.
        Scenario("document_json", "one document's metadata (JSON API)", one_document),
        Scenario(
            "case_view",
            f"case view, {office.hot_documents}-document file",
            lambda i, n: f"/cases/{office.hot_cases[usernames[i]]}",
        ),
        Scenario("person_search", f"person search ({search_path}?q=)", search),
        Scenario("start_page", "start page GET /", lambda i, n: "/"),
    ]


def measure(
    url: str,
    office: Office,
    sizes: Sizes,
    threads: int,
    processes: int = 1,
    *,
    think_ms: float = 0.0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Serve, log the clients in, run every scenario; the results as a JSON-ready dict."""
    load_before = [round(x, 2) for x in os.getloadavg()]
    servers = [Server(url, threads) for _ in range(processes)]
    try:
        for server in servers:
            server.wait_ready()
        clients = office.users[: sizes.clients]
        # Sessions live in the database, so any server process serves any client; each
        # client stays with one, as behind a proxy with keep-alive.
        bases = [servers[i % len(servers)].base for i in range(len(clients))]
        sessions = [
            log_in(base, name, secret) for base, (name, secret) in zip(bases, clients, strict=True)
        ]
        usernames = [name for name, _ in clients]
        search_path = person_search_path(bases[0], sessions[0])
        results: list[Result] = []
        for scenario in scenarios(office, usernames, search_path):
            # One client alone first: the page's own latency (its service time), which
            # the concurrent run multiplies by the queue in front of the CPU.
            solo = min(SOLO_REQUESTS, sizes.requests)
            alone = run_scenario(bases[:1], sessions[:1], scenario, solo)
            cpu_before = sum(server.cpu_seconds() for server in servers)
            result = run_scenario(bases, sessions, scenario, sizes.requests, think_ms)
            cpu = sum(server.cpu_seconds() for server in servers) - cpu_before
            # Includes the two warm-up requests per client; independent of the queue.
            warmed = result.requests + 2 * len(sessions)
            result.server_cpu_ms = round(cpu * 1000 / warmed, 1)
            result.alone_p50_ms, result.alone_p95_ms = alone.p50_ms, alone.p95_ms
            log(
                f"{scenario.name}: alone p50 {alone.p50_ms} ms; {len(sessions)} clients: "
                f"{result.rps} req/s, p50 {result.p50_ms} ms, p95 {result.p95_ms} ms, "
                f"errors {result.errors + alone.errors}"
            )
            result.errors += alone.errors
            results.append(result)
        for session in sessions:
            session.close()
    finally:
        for server in servers:
            server.stop()
    baseline = results[0].p95_ms or 1.0
    for result in results:
        result.p95_vs_baseline = round(result.p95_ms / baseline, 1)
    return {
        "machine": machine(),
        "database": make_url(normalise_database_url(url)).get_backend_name(),
        "dataset": asdict(sizes) | {"rows": office.counts},
        "server": {
            "command": "ecase serve --workers 0",
            "threads": threads,
            "processes": processes,
        },
        "clients": sizes.clients,
        "think_ms": think_ms,
        "target_p95_ms": TARGET_P95_MS,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        # Other work on the machine shifts every number; the load says how much there was.
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "scenarios": [asdict(r) for r in results],
    }


def machine() -> str:
    return (
        f"{platform.machine()}, {multiprocessing.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.platform()}"
    )


def table(report: dict[str, Any]) -> str:
    rows = [
        f"Machine: {report['machine']}; {report['database']}; {report['clients']} concurrent "
        f"clients, think time {report.get('think_ms', 0):g} ms, "
        f"{report['server']['processes']} × waitress with "
        f"{report['server']['threads']} threads; load average before/after "
        f"{report['load_average_before'][0]}/{report['load_average_after'][0]}; dataset "
        + ", ".join(f"{k} {v:,}" for k, v in report["dataset"]["rows"].items()),
        "",
        "| scenario | alone p50 ms | server CPU ms/req | requests | req/s | p50 ms | p95 ms "
        "| p99 ms | p95 / baseline | KB on the wire (body) | errors | p95 ≤ 100 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["scenarios"]:
        ok = "yes" if r["p95_ms"] <= report["target_p95_ms"] else "**no**"
        rows.append(
            f"| {r['label']} | {r['alone_p50_ms']:.1f} | {r['server_cpu_ms']:.1f} "
            f"| {r['requests']} | {r['rps']:.1f} "
            f"| {r['p50_ms']:.1f} "
            f"| {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['p95_vs_baseline']:.1f}x "
            f"| {r['mean_wire_bytes'] / 1024:.1f} ({r['mean_body_bytes'] / 1024:.1f}) "
            f"| {r['errors']} | {ok} |"
        )
    return "\n".join(rows)


def write_results(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "web.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (out / "web.md").write_text("# Workspace under load\n\n" + table(report) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help=f"dropped and recreated (default {DEFAULT_URL}, with --quick ..._quick)",
    )
    parser.add_argument("--quick", action="store_true", help=f"small dataset: {QUICK}")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    parser.add_argument("--load-only", action="store_true", help="load, do not measure")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per process")
    parser.add_argument(
        "--processes", type=int, default=1, help="server processes (web nodes), clients spread"
    )
    parser.add_argument("--clients", type=int, help="concurrent clients (default 20)")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="a person's pause between clicks (0: back to back, a stress test)",
    )
    parser.add_argument("--requests", type=int, help="requests per scenario (all clients)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where web.json goes")
    for name in ("persons", "cases", "documents", "hot_documents", "teams"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, dest=name)
    args = parser.parse_args(argv)

    sizes = QUICK if args.quick else FULL
    overrides = {
        k: getattr(args, k)
        for k in ("persons", "cases", "documents", "hot_documents", "teams", "clients", "requests")
        if getattr(args, k) is not None
    }
    sizes = Sizes(**(asdict(sizes) | overrides))
    if sizes.clients > sizes.teams:
        parser.error("every client is the caseworker of its own team: --clients <= --teams")
    if sizes.cases <= sizes.teams or sizes.documents < sizes.teams * sizes.hot_documents:
        parser.error("need more case files than teams and documents for every hot file")
    # A quick run never drops the full office a long run loaded.
    url = normalise_database_url(
        args.database_url or (DEFAULT_URL + "_quick" if args.quick else DEFAULT_URL)
    )
    try:
        exists = database_exists(url)
    except OperationalError as exc:
        print(
            f"cannot reach the database server of {url}: {exc.orig}\n"
            "start PostgreSQL or pass --database-url sqlite:///var/bench.sqlite3",
            file=sys.stderr,
        )
        return 2
    if args.reuse and exists:
        office = reuse(url, sizes)
    else:
        recreate_database(url)
        office = load(url, sizes)
    if args.load_only:
        return 0
    report = measure(url, office, sizes, args.threads, args.processes, think_ms=args.think_ms)
    print(table(report))
    write_results(report, args.out)
    print(f"\nwritten to {args.out / 'web.json'}")
    failed = [r["name"] for r in report["scenarios"] if r["errors"]]
    if failed:
        print("requests failed in: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
