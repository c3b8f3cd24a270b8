"""The user query language: a small, lenient grammar that both index implementations share.

Why not Whoosh's own query parser: it lets a user address any field (``team_id:1``),
its behaviour on odd input is implicit, and the fake would have to re-implement it. This
grammar never raises on syntax; it only rejects queries that are too large to run
(:class:`~search.errors.InvalidQueryError`). It has no field syntax at all, so the user's
text can never reach the fields that carry the access scope.

Grammar (whitespace separates words):

* ``word`` – must occur (all words are required: AND is the default)
* ``"several words"`` – a phrase; an unbalanced quote runs to the end of the text
* ``a OR b`` (also ``ODER``) – either; ``AND``/``UND`` are accepted and change nothing
* ``-word``, ``NOT word`` (also ``NICHT``) – must not occur
* ``antr*`` – prefix match when at least :data:`MIN_PREFIX_CHARS` characters remain
* anything else (``:``, ``(``, ``*`` alone, an operator without an operand) is punctuation:
  it separates words and is otherwise ignored
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from search.analysis import chunks
from search.errors import InvalidQueryError

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_QUERY_CLAUSES",
    "MIN_PREFIX_CHARS",
    "Clause",
    "ClauseTerms",
    "ParsedQuery",
    "analyze_clause",
    "parse_query",
]

MAX_QUERY_CHARS: Final = 1000
MAX_QUERY_CLAUSES: Final = 32
#: Shorter prefixes expand to a large part of the term dictionary and stall the index.
MIN_PREFIX_CHARS: Final = 3

_OR: Final = frozenset({"OR", "ODER"})
_AND: Final = frozenset({"AND", "UND"})
_NOT: Final = frozenset({"NOT", "NICHT"})
_TOKEN_RE: Final = re.compile(r'"([^"]*)"?|(\S+)')
_HAS_WORD_RE: Final = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class Clause:
    """A word (``phrase=False``) or a quoted phrase, as the user typed it (not yet analysed)."""

    text: str
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """Conjunctive form: every group must match (one clause of it), no excluded clause may."""

    groups: tuple[tuple[Clause, ...], ...]
    excluded: tuple[Clause, ...]

    @property
    def is_empty(self) -> bool:
        """True when the text held no searchable clause; callers then list the scope."""
        return not self.groups

    def positive_clauses(self) -> tuple[Clause, ...]:
        """Clauses whose matches are highlighted in snippets."""
        return tuple(c for group in self.groups for c in group)


def _clause(raw: str, *, quoted: bool) -> Clause | None:
    if quoted:
        return Clause(raw, phrase=True) if _HAS_WORD_RE.search(raw) else None
    prefix = raw.endswith("*")
    word = raw.rstrip("*")
    if not _HAS_WORD_RE.search(word):
        return None
    if prefix and sum(1 for c in word if c.isalnum()) < MIN_PREFIX_CHARS:
        prefix = False
    return Clause(word, prefix=prefix)


class _Builder:
    """Collects clauses while remembering a pending OR or NOT."""

    def __init__(self) -> None:
        self.groups: list[list[Clause]] = []
        self.excluded: list[Clause] = []
        self.pending_or = False
        self.negate = False

    def operator(self, word: str) -> bool:
        """Apply word if it is an operator; an operator without an operand does nothing."""
        if word in _OR:
            self.pending_or = bool(self.groups)
        elif word in _AND:
            self.pending_or = False
        elif word in _NOT:
            self.negate = True
        else:
            return False
        return True

    def add(self, clause: Clause | None) -> None:
        if clause is None:
            return
        if self.negate:
            self.excluded.append(clause)
        elif self.pending_or:
            self.groups[-1].append(clause)
        else:
            self.groups.append([clause])
        self.negate = False
        self.pending_or = False


def parse_query(text: str) -> ParsedQuery:
    """Parse user text leniently; raise InvalidQueryError only for oversized queries."""
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQueryError(f"query is longer than {MAX_QUERY_CHARS} characters")
    builder = _Builder()
    for match in _TOKEN_RE.finditer(text):
        quoted, bare = match.group(1), match.group(2)
        if bare is None:
            builder.add(_clause(quoted, quoted=True))
            continue
        if builder.operator(bare):
            continue
        if bare.startswith("-") and len(bare) > 1:
            builder.negate = True
            bare = bare[1:]
        builder.add(_clause(bare, quoted=False))
    clauses = sum(len(g) for g in builder.groups) + len(builder.excluded)
    if clauses > MAX_QUERY_CLAUSES:
        raise InvalidQueryError(f"query has more than {MAX_QUERY_CLAUSES} words or phrases")
    return ParsedQuery(tuple(tuple(g) for g in builder.groups), tuple(builder.excluded))


@dataclass(frozen=True, slots=True)
class ClauseTerms:
    """A clause analysed for one kind of field; the same rules drive Whoosh and the fake.

    It matches a document field if ``prefix`` is set and some term starts with it; else if
    the field holds ``compound``; else if ``parts`` occur at consecutive positions (a single
    part is a plain term).
    """

    parts: tuple[str, ...] = ()
    compound: str | None = None
    prefix: str | None = None

    def highlight_terms(self) -> tuple[str, ...]:
        """Terms whose occurrences a snippet marks."""
        return self.parts + ((self.compound,) if self.compound else ())


def analyze_clause(clause: Clause, *, stemmed: bool) -> ClauseTerms | None:
    """Analyse a clause like the field it is matched against; None if nothing is left."""
    found = list(chunks(clause.text, stemmed=stemmed))
    if not found:
        return None
    if clause.prefix and len(found) == 1:
        only = found[0]
        candidate = only.compound if len(only.parts) > 1 else only.parts[0][0]
        if candidate and len(candidate) >= MIN_PREFIX_CHARS:
            return ClauseTerms(prefix=candidate)
    parts = tuple(term for chunk in found for term, _, _ in chunk.parts)
    compound = None
    if not clause.phrase and len(found) == 1 and len(parts) > 1:
        compound = found[0].compound
    return ClauseTerms(parts=parts, compound=compound)
