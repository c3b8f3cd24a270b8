"""The searchable fields and how a parsed query maps onto them, shared by every implementation.

Keeping this in one place is what makes the fake a faithful stand-in: both indexes feed
the same strings through the same analysis and match the same analysed clauses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from search.model import IndexedDocument
from search.querylang import Clause, ClauseTerms, ParsedQuery, analyze_clause
from search.snippets import Highlighter

__all__ = [
    "TEXT_FIELDS",
    "AnalyzedClause",
    "CompiledQuery",
    "TextField",
    "compile_query",
    "field_values",
]


@dataclass(frozen=True, slots=True)
class TextField:
    """A full-text field the user's words are matched against."""

    name: str
    stemmed: bool
    #: weight of a match in this field relative to the body text
    boost: float


TEXT_FIELDS: Final = (
    TextField("text", stemmed=True, boost=1.0),
    TextField("title", stemmed=True, boost=2.0),
    TextField("reference", stemmed=False, boost=3.0),
    TextField("names", stemmed=False, boost=2.0),
    TextField("kind", stemmed=True, boost=1.0),
)

# Between two names, so that a phrase cannot run from one name into the next.
_NAME_SEPARATOR: Final = " ; "


def field_values(document: IndexedDocument) -> dict[str, str]:
    """The string each text field analyses for a document."""
    return {
        "text": document.text,
        "title": document.title,
        "reference": document.reference,
        "names": _NAME_SEPARATOR.join(document.person_names),
        "kind": document.doc_type,
    }


@dataclass(frozen=True, slots=True)
class AnalyzedClause:
    """One clause analysed for stemmed and for folded fields (either may be empty)."""

    stemmed: ClauseTerms | None
    folded: ClauseTerms | None

    def for_field(self, field: TextField) -> ClauseTerms | None:
        """The analysis that applies to a field."""
        return self.stemmed if field.stemmed else self.folded


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A parsed query analysed for the fields; empty groups have been dropped."""

    groups: tuple[tuple[AnalyzedClause, ...], ...]
    excluded: tuple[AnalyzedClause, ...]
    highlighter: Highlighter

    @property
    def is_empty(self) -> bool:
        """True if no positive clause is left: the query lists its scope."""
        return not self.groups


def _analyze(parsed_clauses: tuple[Clause, ...]) -> tuple[AnalyzedClause, ...]:
    out: list[AnalyzedClause] = []
    for clause in parsed_clauses:
        stemmed = analyze_clause(clause, stemmed=True)
        folded = analyze_clause(clause, stemmed=False)
        if stemmed is not None or folded is not None:
            out.append(AnalyzedClause(stemmed, folded))
    return tuple(out)


def compile_query(parsed: ParsedQuery) -> CompiledQuery:
    """Analyse every clause for both kinds of field and prepare the highlighter."""
    groups = tuple(g for g in (_analyze(group) for group in parsed.groups) if g)
    excluded = _analyze(parsed.excluded)
    highlighter = Highlighter.for_clauses(
        c.stemmed for group in groups for c in group if c.stemmed is not None
    )
    return CompiledQuery(groups, excluded, highlighter)
