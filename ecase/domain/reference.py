"""The Aktenzeichen scheme: file-plan code, year and running number, formatted by configuration.

The office's scheme changes rarely but does change (new file plan, longer running numbers),
so the format is a setting; see docs/adr/0003-aktenzeichen-scheme.md.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from ecase.domain.errors import InvalidInputError
from ecase.domain.messages import N_

_FIELD_PATTERNS = {
    "plan": r"(?P<plan>[A-Z0-9]+(?:[-.][A-Z0-9]+)*?)",
    "year": r"(?P<year>\d{4})",
    "seq": r"(?P<seq>\d+)",
}
# Maximal runs of letters, digits and the separators references use, ending in a digit.
_TOKEN_RE = re.compile(r"(?<![A-Z0-9./-])[A-Z0-9][A-Z0-9./-]*[0-9]")
MIN_YEAR, MAX_YEAR = 1949, 2200
PLAN_CODE_RE = re.compile(r"^[A-Z0-9]+(?:[-.][A-Z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Reference:
    plan: str
    year: int
    seq: int


@dataclass(frozen=True, slots=True)
class ReferenceScheme:
    """Formats and parses Aktenzeichen such as ``MA-1234-2026-00017``."""

    template: str = "{plan}-{year}-{seq:05d}"

    def __post_init__(self) -> None:
        names = [name for _, name, _, _ in string.Formatter().parse(self.template) if name]
        if sorted(names) != ["plan", "seq", "year"]:
            raise ValueError(
                N_("the Aktenzeichen format must use {plan}, {year} and {seq} exactly once each")
            )

    def format(self, plan: str, year: int, seq: int) -> str:
        check_plan_code(plan)
        return self.template.format(plan=plan, year=year, seq=seq)

    @property
    def _regex(self) -> re.Pattern[str]:
        parts = []
        for literal, name, _spec, _conv in string.Formatter().parse(self.template):
            parts.append(re.escape(literal))
            if name:
                parts.append(_FIELD_PATTERNS[name])
        return re.compile("^" + "".join(parts) + "$")

    def find_in_text(self, text: str) -> set[str]:
        """Well-formed references inside running text, e.g. a scanned letter, normalised."""
        found = set()
        for token in _TOKEN_RE.findall(text.upper()):
            try:
                found.add(self.normalise(token))
            except InvalidInputError:
                continue
        return found

    def parse(self, text: str) -> Reference:
        """Accept a reference typed by a person (surrounding spaces, lower case tolerated)."""
        match = self._regex.match(text.strip().upper())
        if not match:
            example = self.format("MA-1234", 2026, 17)
            raise InvalidInputError(
                f"'{text}' is not a valid Aktenzeichen (example: {example})", field="reference"
            )
        year = int(match["year"])
        if not MIN_YEAR <= year <= MAX_YEAR:
            # Phone numbers and dates look like references too; their "year" gives them away.
            raise InvalidInputError(
                f"'{text}' is not a valid Aktenzeichen (year {year})", field="reference"
            )
        return Reference(match["plan"], year, int(match["seq"]))

    def normalise(self, text: str) -> str:
        ref = self.parse(text)
        return self.format(ref.plan, ref.year, ref.seq)


def check_plan_code(code: str) -> str:
    if not PLAN_CODE_RE.match(code):
        raise InvalidInputError(
            f"'{code}' is not a valid file plan code (capital letters, digits, '-' or '.')",
            field="file_plan",
        )
    return code
