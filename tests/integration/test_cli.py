"""The ``ecase`` command: idempotent init, accounts, tokens and the storage integrity check."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecase.bootstrap import build_context
from ecase.cli import main
from ecase.config import Settings
from ecase.domain.actor import Actor
from ecase.services.access import second_factor, users
from ecase.services.casefile import cases, documents, persons
from ecase.services.intake import pipeline
from search import Scope, SearchQuery
from tests.support.files import minimal_pdf
from tests.support.tesseract import require_tesseract

PASSWORD = "Start-Password-2026"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "var"
    for name in list(os.environ):
        if name.startswith("ECASE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ECASE_HOME", str(home))
    return home


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_init_is_idempotent_and_creates_a_first_admin(home: Path) -> None:
    code, output = run("init")
    assert code == 0, output
    credentials = (home / "initial-admin.txt").read_text()
    assert "user: admin" in credentials
    assert (home / "initial-admin.txt").stat().st_mode & 0o077 == 0
    assert (home / "inbox" / "failed").is_dir()
    code, output = run("init")
    assert code == 0
    assert "initialised" in output
    assert (home / "initial-admin.txt").read_text() == credentials


def test_init_with_named_admin(home: Path) -> None:
    code, output = run("init", "--admin", "root", "--password", PASSWORD)
    assert code == 0, output
    assert "administrator root created" in output
    assert not (home / "initial-admin.txt").exists()


def test_team_user_and_token_commands(home: Path) -> None:
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    assert run("team", "create", "Sachgebiet 32")[0] == 0
    assert run("team", "create", "Sachgebiet 32")[0] == 0, "team create is idempotent"
    code, output = run(
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
    assert code == 0, output
    code, token = run("token", "create", "erika")
    assert code == 0
    ctx = build_context(Settings.from_env())
    actor = users.actor_for_token(ctx, token.strip())
    assert actor is not None
    assert actor.username == "erika"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("user", "create", "xavi", "--role", "clerk", "--password", "short"), "at least 12"),
        (
            (
                "user",
                "create",
                "bob",
                "--role",
                "caseworker",
                "--team",
                "nope",
                "--password",
                PASSWORD,
            ),
            "no team",
        ),
        (("token", "create", "nobody"), "no user"),
    ],
)
def test_cli_errors_are_one_readable_line(home: Path, args: tuple[str, ...], message: str) -> None:
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    code, output = run(*args)
    assert code != 0
    assert message in output
    assert "Traceback" not in output


def _store_document(home: Path) -> str:
    ctx = build_context(Settings.from_env())
    users.create_team(ctx, None, "T")
    users.create_user(ctx, None, "cw", "caseworker", PASSWORD, teams=("T",))
    actor = users.get_actor(ctx, "cw")
    assert isinstance(actor, Actor)
    person = persons.create_person(ctx, actor, persons.NewPerson("Nowak", "Jan"))
    case = cases.create_case(ctx, actor, cases.NewCase(person.id, "Visum"))
    pdf = minimal_pdf("verify me")
    documents.add_document(ctx, actor, case.id, documents.Upload(io.BytesIO(pdf), "a.pdf"))
    return hashlib.sha256(pdf).hexdigest()


def _blob_path(home: Path, key: str) -> Path:
    return next(p for p in (home / "blobs").rglob(key) if p.is_file())


def test_storage_verify_passes_then_reports_corrupt_missing_and_orphaned(home: Path) -> None:
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    key = _store_document(home)
    code, output = run("storage", "verify")
    assert code == 0, output
    assert "checked 1 blobs: 0 missing, 0 corrupt, 0 orphaned" in output

    path = _blob_path(home, key)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    code, output = run("storage", "verify")
    assert code == 1
    assert f"corrupt\t{key}" in output

    path.unlink()
    code, output = run("storage", "verify")
    assert code == 1
    assert f"missing\t{key}" in output

    orphan = hashlib.sha256(b"orphan").hexdigest()
    ctx = build_context(Settings.from_env())
    ctx.blobs.put(io.BytesIO(b"orphan"))
    code, output = run("storage", "verify")
    assert code == 1
    assert f"orphaned\t{orphan}" in output


def test_reindex_rebuilds_and_resumes(home: Path) -> None:
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    ctx = build_context(Settings.from_env())
    users.create_team(ctx, None, "T")
    users.create_user(ctx, None, "cw", "caseworker", PASSWORD, teams=("T",))
    actor = users.get_actor(ctx, "cw")
    person = persons.create_person(ctx, actor, persons.NewPerson("Rahimi", "Sara"))
    case = cases.create_case(ctx, actor, cases.NewCase(person.id, "Einbürgerung"))
    ids = []
    for word in ("Erstbescheid", "Zweitbescheid", "Drittbescheid"):
        upload = documents.Upload(
            io.BytesIO(minimal_pdf(f"Dies ist der {word} der Behoerde")), "b.pdf"
        )
        ids.append(documents.add_document(ctx, actor, case.id, upload).id)
        assert pipeline.process_document(ctx, ids[-1]).status == "ready"

    def hits(word: str) -> list[int]:
        result = build_context(Settings.from_env()).index.search(
            SearchQuery(word, scope=Scope.unrestricted())
        )
        return [hit.document_id for hit in result.hits]

    ctx.index.clear()
    assert hits("Zweitbescheid") == []
    code, output = run("reindex")
    assert code == 0, output
    assert "indexed 3 documents" in output
    assert hits("Zweitbescheid") == [ids[1]]

    ctx.index.clear()
    (home / "reindex.checkpoint").write_text(f"{ids[0]}\n")
    code, output = run("reindex")
    assert "resuming after document" in output
    assert "indexed 2 documents" in output
    assert hits("Erstbescheid") == [], "documents before the checkpoint were not touched"
    assert hits("Drittbescheid") == [ids[2]]
    assert not (home / "reindex.checkpoint").exists()


def test_disable_password_and_second_factor_commands(home: Path) -> None:
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    assert run("team", "create", "T")[0] == 0
    assert (
        run(
            "user", "create", "erika", "--role", "caseworker", "--team", "T", "--password", PASSWORD
        )[0]
        == 0
    )
    token = run("token", "create", "erika")[1].strip()
    ctx = build_context(Settings.from_env())
    assert users.actor_for_token(ctx, token) is not None

    assert run("user", "disable", "erika")[0] == 0
    assert users.actor_for_token(ctx, token) is None, "disabling ends API tokens at once"
    assert "disabled" in run("user", "list")[1]
    assert run("user", "enable", "erika")[0] == 0
    assert users.actor_for_token(ctx, token) is None, "re-enabling does not revive old tokens"

    assert run("user", "password", "erika", "--password", "Neues-Passwort-2027")[0] == 0
    actor, _ = users.authenticate_password(ctx, "erika", "Neues-Passwort-2027")
    second_factor.begin_enrolment(ctx, actor)
    assert run("user", "reset-2fa", "erika")[0] == 0
    code, output = run("user", "reset-2fa", "nobody")
    assert code != 0
    assert "no user" in output


@pytest.mark.parametrize(
    "args", [("storage", "verify"), ("team", "create", "T"), ("audit", "verify")]
)
def test_commands_before_init_say_what_to_do(home: Path, args: tuple[str, ...]) -> None:
    code, output = run(*args)
    assert code != 0
    assert "run `ecase init` first" in output
    assert "Traceback" not in output


def test_demo_office_loads_once_and_its_letters_become_ready(home: Path) -> None:
    require_tesseract()
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    code, output = run("demo", "--persons", "12", "--letters", "4")
    assert code == 0, output
    assert "sb31\tcaseworker" in output
    assert "12 persons, 12 case files and 4 letters" in output
    code, output = run("demo", "--persons", "1", "--letters", "0")
    assert code != 0
    assert "loaded already" in output

    ctx = build_context(Settings.from_env())
    pending = pipeline.reconcile(ctx)
    assert len(pending) == 4
    assert {pipeline.process_document(ctx, doc_id).status for doc_id in pending} == {"ready"}
    sb31 = users.get_actor(ctx, "sb31")
    found = persons.list_persons(ctx, sb31, "Al-Hassan") + persons.list_persons(
        ctx, sb31, "Kovalenko"
    )
    assert isinstance(found, list)
    auditor = users.get_actor(ctx, "dsb")
    assert auditor.role == "auditor"
