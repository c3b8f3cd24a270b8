"""``ecase sheets``: printable separator sheets for real case files, read back from the PDF."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pypdf
import pypdfium2
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ecase.bootstrap import build_context
from ecase.cli import main
from ecase.config import Settings
from ecase.domain.actor import Actor
from ecase.domain.enums import Outcome
from ecase.domain.errors import InvalidInputError, NotFoundError
from ecase.models import AuditEvent
from ecase.services.access import users
from ecase.services.casefile import cases, persons
from ecase.services.context import Context
from ecase.services.intake import sheets
from ocr import Separator, detect_separator

PASSWORD = "Start-Password-2026"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "var"
    for name in list(os.environ):
        if name.startswith("ECASE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ECASE_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _case(ctx: Context, family: str, given: str, team: str = "T") -> tuple[str, int]:
    users.create_team(ctx, None, team)
    username = f"cw-{team.lower()}"
    users.create_user(ctx, None, username, "caseworker", PASSWORD, teams=(team,))
    actor = users.get_actor(ctx, username)
    assert isinstance(actor, Actor)
    person = persons.create_person(ctx, actor, persons.NewPerson(family, given))
    case = cases.create_case(ctx, actor, cases.NewCase(person.id, "Aufenthaltserlaubnis"))
    return case.reference, case.id


def _events(ctx: Context, action: str) -> list[AuditEvent]:
    with ctx.uow() as uow:
        return list(
            uow.session.execute(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            ).scalars()
        )


def _pages_text(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def _detected(pdf: bytes, dpi: int = 200) -> list[Separator | None]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            detect_separator(page.render(scale=dpi / 72, grayscale=True).to_pil())
            for page in document
        ]
    finally:
        document.close()


def test_sheets_for_a_case_carry_reference_and_name_and_are_detected(
    home: Path, tmp_path: Path
) -> None:
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    ctx = build_context(Settings.from_env())
    reference, case_id = _case(ctx, "Großmann-Özdemir", "Ayşe")
    target = tmp_path / "out" / "blaetter.pdf"
    target.parent.mkdir()

    code, output = run(
        "sheets", "--case", reference.lower(), "--count", "1", "--output", str(target)
    )
    assert code == 0, output
    assert "wrote 2 separator sheet(s)" in output

    pdf = target.read_bytes()
    case_text, generic_text = _pages_text(pdf)
    assert reference in case_text
    assert "Großmann-Özdemir, Ayse" in case_text  # ş is outside WinAnsi: printed as s
    assert "Dieses Blatt vor das nächste Schriftstück legen" in case_text
    assert "TRENNBLATT" in generic_text
    assert reference not in generic_text
    assert "Großmann" not in generic_text
    assert _detected(pdf) == [Separator("case", reference), Separator("sep", None)]

    (event,) = _events(ctx, "sheets.print")
    assert (event.case_id, event.object_id, event.user_id) == (case_id, case_id, None)
    assert event.outcome is Outcome.ALLOWED


def test_without_case_one_generic_sheet_to_the_default_file(home: Path, tmp_path: Path) -> None:
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    code, output = run("sheets")
    assert code == 0, output
    pdf = (tmp_path / "trennblaetter.pdf").read_bytes()
    assert _detected(pdf, dpi=150) == [Separator("sep", None)]
    code, output = run("sheets", "--count", "3", "--output", "drei.pdf")
    assert code == 0, output
    assert len(pypdf.PdfReader(tmp_path / "drei.pdf").pages) == 3
    ctx = build_context(Settings.from_env())
    assert _events(ctx, "sheets.print") == [], "generic sheets name no case"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sheets", "--case", "MA-1234-2026-99999"), "no case file with Aktenzeichen"),
        (("sheets", "--case", "kein Aktenzeichen"), "not a valid Aktenzeichen"),
        (("sheets", "--count", "0"), "nothing to print"),
        (("sheets", "--count", "501"), "501"),
    ],
)
def test_bad_requests_are_one_readable_line_and_write_nothing(
    home: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    code, output = run(*args)
    assert code != 0
    assert message in output
    assert "Traceback" not in output
    assert not (tmp_path / "trennblaetter.pdf").exists()


def test_an_unknown_reference_among_known_ones_prints_nothing(home: Path) -> None:
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    ctx = build_context(Settings.from_env())
    reference, _case_id = _case(ctx, "Nowak", "Jan")
    with pytest.raises(NotFoundError, match="MA-1234-2026-99999"):
        sheets.sheet_specs(ctx, None, [reference, "MA-1234-2026-99999"])
    assert _events(ctx, "sheets.print") == []
    with pytest.raises(InvalidInputError):
        sheets.sheet_specs(ctx, None, [], blank=-1)


def test_an_actor_needs_the_right_to_file_into_the_case(home: Path) -> None:
    assert run("init", "--admin", "root", "--password", PASSWORD)[0] == 0
    ctx = build_context(Settings.from_env())
    reference, case_id = _case(ctx, "Nowak", "Jan", team="A")
    users.create_team(ctx, None, "B")
    users.create_user(ctx, None, "clerk", "clerk", PASSWORD)
    users.create_user(ctx, None, "other", "caseworker", PASSWORD, teams=("B",))

    clerk = users.get_actor(ctx, "clerk")
    (spec,) = sheets.sheet_specs(ctx, clerk, [reference])
    assert spec.payload == f"ECASE:CASE:{reference}"
    assert "Nowak, Jan" in " ".join(spec.lines)

    with pytest.raises(NotFoundError):
        sheets.sheet_specs(ctx, users.get_actor(ctx, "other"), [reference])
    allowed, denied = _events(ctx, "sheets.print")
    assert (allowed.outcome, allowed.username, allowed.case_id) == (
        Outcome.ALLOWED,
        "clerk",
        case_id,
    )
    assert (denied.outcome, denied.username) == (Outcome.DENIED, "other")
