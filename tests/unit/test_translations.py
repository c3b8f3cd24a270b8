"""The German catalogue is complete and its compiled form matches the source."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "ecase" / "translations" / "de" / "LC_MESSAGES"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
}
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

    def translated(msgid: str | tuple[str, ...]) -> bool:
        # Fuzzy entries are guesses that `pybabel compile` leaves out; plurals need every form.
        entry = catalogue.get(msgid)
        if entry is None or entry.fuzzy:
            return False
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        return all(forms)

    missing = sorted((m if isinstance(m, str) else m[0]) for m in used if m and not translated(m))
    assert missing == [], "run `make translations` and translate: " + "; ".join(missing)


def test_compiled_catalogue_matches_the_source() -> None:
    with (CATALOGUE / "messages.po").open("rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id}
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        # read_mo gives plural ids and forms as lists, read_po as tuples.
        compiled = {_hashable(m.id): _hashable(m.string) for m in read_mo(handle) if m.id}
    assert compiled == source, "run `make translations` to recompile messages.mo"


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value
