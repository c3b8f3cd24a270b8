"""Fixtures shared by every test speed: settings, databases, service context, app and clients.

Factories are fixtures returning callables (``make_user``), as in cosmicpython's test tree.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from ecase.app import create_app
from ecase.bootstrap import build_context, upgrade_database
from ecase.config import Settings
from ecase.db import make_engine, normalise_database_url
from ecase.domain.actor import Actor
from ecase.domain.enums import Role
from ecase.models import Base
from ecase.services import setup
from ecase.services.access import users
from ecase.services.context import Context
from search.memory import InMemorySearchIndex
from storage.memory import InMemoryBlobStore
from tests.support.fakes import ScriptedExtractor
from tests.support.services import POSTGRES_URL, require

TEST_PASSWORD = "Correct-Horse-42"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    return Settings.from_env(
        {
            "ECASE_HOME": str(home),
            "ECASE_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "ECASE_DATABASE_URL": f"sqlite:///{home / 'ecase.sqlite3'}",
            "ECASE_STORAGE_URL": "memory://",
        }
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test copies the file (much faster than migrating per test)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh database for this test run, migrated to head, dropped at the end."""
    url = make_url(normalise_database_url(POSTGRES_URL))
    require(url.host or "127.0.0.1", url.port or 5432, "PostgreSQL")
    name = f"ecase_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    test_url = url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_database(test_url)
        yield test_url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # The access log refuses TRUNCATE by trigger; tests reset it as the superuser would.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    """Each test that asks for it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "ecase.sqlite3"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    url = request.getfixturevalue("postgres_database")
    eng = make_engine(url)
    try:
        yield eng
    finally:
        truncate_all(eng)
        eng.dispose()


@pytest.fixture
def postgres_engine(postgres_database: str) -> Iterator[Engine]:
    """For PostgreSQL-only tests (triggers, roles); emptied and closed afterwards."""
    eng = make_engine(postgres_database)
    try:
        yield eng
    finally:
        truncate_all(eng)
        eng.dispose()


def context_on(settings: Settings, engine: Engine) -> Context:
    """A service context on a real database, with the in-memory fakes for everything else."""
    return build_context(
        settings,
        engine=engine,
        blobs=InMemoryBlobStore(),
        extractor=ScriptedExtractor(),
        index=InMemorySearchIndex(),
    )


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """For tests whose subject is not the database: SQLite only."""
    path = tmp_path / "ecase.sqlite3"
    shutil.copy(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def blobs() -> InMemoryBlobStore:
    return InMemoryBlobStore()


@pytest.fixture
def dispatched() -> list[int]:
    return []


@pytest.fixture
def extractor() -> ScriptedExtractor:
    return ScriptedExtractor()


@pytest.fixture
def index() -> InMemorySearchIndex:
    return InMemorySearchIndex()


@pytest.fixture
def ctx(  # noqa: PLR0917  # pytest injects fixtures positionally
    settings: Settings,
    engine: Engine,
    blobs: InMemoryBlobStore,
    extractor: ScriptedExtractor,
    index: InMemorySearchIndex,
    dispatched: list[int],
) -> Context:
    context = build_context(
        settings,
        engine=engine,
        blobs=blobs,
        extractor=extractor,
        index=index,
        dispatch_document=dispatched.append,
    )
    setup.ensure_file_plan_entry(context, settings.default_file_plan)
    return context


@dataclass(frozen=True)
class StaffUser:
    actor: Actor
    token: str
    password: str = TEST_PASSWORD

    @property
    def username(self) -> str:
        return self.actor.username

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(ctx: Context) -> Callable[..., StaffUser]:
    counter = iter(range(1, 10_000))

    def _make(
        role: str = "caseworker", teams: tuple[str, ...] = ("Team A",), name: str | None = None
    ) -> StaffUser:
        for team in teams:
            users.create_team(ctx, None, team)
        username = name or f"{role}{next(counter)}"
        users.create_user(ctx, None, username, role, TEST_PASSWORD, teams=teams)
        token = users.create_token(ctx, None, username)
        actor = users.actor_for_token(ctx, token)
        assert actor is not None
        return StaffUser(actor, token)

    return _make


@pytest.fixture
def caseworker(make_user: Callable[..., StaffUser]) -> StaffUser:
    return make_user("caseworker", ("Team A",), name="anna")


@pytest.fixture
def app(ctx: Context) -> Flask:
    application = create_app(context=ctx)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


__all__ = ["Role", "StaffUser"]
