"""The German catalogue is complete and its compiled form matches the source."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "ecase" / "translations" / "de" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def test_every_ui_string_has_a_german_translation() -> None:
    with (CATALOGUE / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    used = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "ecase"), METHODS, keywords=KEYWORDS
        )
    }
    missing = sorted(
        m for m in used if isinstance(m, str) and not (catalogue.get(m) and catalogue[m].string)
    )
    assert missing == [], "run `make translations` and translate: " + "; ".join(missing)


def test_compiled_catalogue_matches_the_source() -> None:
    with (CATALOGUE / "messages.po").open("rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id}
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == source, "run `make translations` to recompile messages.mo"
