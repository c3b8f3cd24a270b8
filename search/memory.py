"""An in-memory SearchIndex for tests and for the benchmark baseline (a linear scan).

It shares analysis, query language, field mapping and snippets with the Whoosh index,
so the contract suite holds for both; scores are a plain weighted term frequency and
are only comparable within one implementation.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from search.analysis import analyze
from search.model import IndexedDocument, Scope, SearchHit, SearchQuery, SearchResult
from search.querylang import ClauseTerms, parse_query
from search.schema import TEXT_FIELDS, AnalyzedClause, CompiledQuery, compile_query, field_values

__all__ = ["InMemorySearchIndex"]

_Postings = dict[str, list[int]]


@dataclass(frozen=True, slots=True)
class _Entry:
    document: IndexedDocument
    fields: dict[str, _Postings]


def _postings(value: str, *, stemmed: bool) -> _Postings:
    out: _Postings = {}
    for term, pos, _, _ in analyze(value, stemmed=stemmed):
        out.setdefault(term, []).append(pos)
    return out


def _frequency(postings: _Postings, terms: ClauseTerms) -> int:
    """How often the clause occurs in one field (0: no match)."""
    if terms.prefix is not None:
        prefix = terms.prefix
        return sum(len(p) for t, p in postings.items() if t.startswith(prefix))
    if terms.compound is not None and terms.compound in postings:
        return len(postings[terms.compound])
    first = postings.get(terms.parts[0], [])
    if len(terms.parts) == 1:
        return len(first)
    rest = [set(postings.get(part, ())) for part in terms.parts[1:]]
    return sum(1 for p in first if all(p + i + 1 in s for i, s in enumerate(rest)))


class InMemorySearchIndex:
    """A SearchIndex held in a dict; every query scans every document in scope."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}
        self._lock = threading.Lock()

    def index(self, documents: Iterable[IndexedDocument]) -> None:
        """Insert or replace the documents."""
        prepared = [
            _Entry(
                doc,
                {
                    f.name: _postings(field_values(doc)[f.name], stemmed=f.stemmed)
                    for f in TEXT_FIELDS
                },
            )
            for doc in documents
        ]
        with self._lock:
            for entry in prepared:
                self._entries[entry.document.document_id] = entry

    def delete(self, document_ids: Iterable[int]) -> None:
        """Remove the documents; unknown ids are ignored."""
        with self._lock:
            for document_id in document_ids:
                self._entries.pop(document_id, None)

    def search(self, query: SearchQuery) -> SearchResult:
        """Scan the documents in scope and rank them like the contract asks."""
        compiled = compile_query(parse_query(query.text))
        with self._lock:
            entries = list(self._entries.values())
        matches: list[tuple[float, _Entry]] = []
        for entry in entries:
            if not _passes_filters(entry.document, query):
                continue
            score = _score(entry, compiled)
            if score is not None:
                matches.append((score, entry))
        if compiled.is_empty:
            matches.sort(key=lambda m: -m[1].document.document_id)
        else:
            matches.sort(key=lambda m: (-m[0], m[1].document.document_id))
        page = matches[query.offset : query.offset + query.limit]
        hits = tuple(
            SearchHit(
                document_id=entry.document.document_id,
                case_id=entry.document.case_id,
                title=entry.document.title,
                snippet=compiled.highlighter.snippet(entry.document.text),
                score=score,
            )
            for score, entry in page
        )
        return SearchResult(hits=hits, total=len(matches))

    def count(self, scope: Scope) -> int:
        """Number of documents in the scope."""
        with self._lock:
            return sum(
                1
                for e in self._entries.values()
                if scope.allows(e.document.case_id, e.document.team_id)
            )

    def document_ids(self) -> Iterator[int]:
        """All ids, ascending."""
        with self._lock:
            ids = sorted(self._entries)
        return iter(ids)

    def clear(self) -> None:
        """Remove every document."""
        with self._lock:
            self._entries.clear()

    def check(self) -> None:
        """Always healthy: there is nothing to fail."""

    def optimize(self) -> None:
        """Nothing to compact."""

    def close(self) -> None:
        """Nothing to release."""


def _passes_filters(doc: IndexedDocument, query: SearchQuery) -> bool:
    if not query.scope.allows(doc.case_id, doc.team_id):
        return False
    if query.case_id is not None and doc.case_id != query.case_id:
        return False
    if query.doc_type is not None and doc.doc_type != query.doc_type:
        return False
    if query.received_from is None and query.received_to is None:
        return True
    return (
        doc.received is not None
        and (query.received_from is None or doc.received >= query.received_from)
        and (query.received_to is None or doc.received <= query.received_to)
    )


def _clause_score(entry: _Entry, clause: AnalyzedClause) -> float:
    score = 0.0
    for field in TEXT_FIELDS:
        terms = clause.for_field(field)
        if terms is None:
            continue
        frequency = _frequency(entry.fields[field.name], terms)
        if frequency:
            score += field.boost * (1.0 + math.log(frequency))
    return score


def _score(entry: _Entry, compiled: CompiledQuery) -> float | None:
    """The document's score, or None if it does not match."""
    if any(_clause_score(entry, c) > 0 for c in compiled.excluded):
        return None
    total = 0.0
    for group in compiled.groups:
        best = max(_clause_score(entry, c) for c in group)
        if best <= 0:
            return None
        total += best
    return total
