"""The search contract: the value objects and the SearchIndex port every implementation fulfils."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Final, Protocol, runtime_checkable

from search.errors import InvalidQueryError

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "IndexedDocument",
    "Scope",
    "SearchHit",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
]

#: One page never holds more hits than this; the API pages instead.
MAX_LIMIT: Final = 100
#: Deeper pages make the index score offset+limit documents; nobody reads page 500.
MAX_OFFSET: Final = 10_000


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    """What the index knows about one document; the database stays the source of truth."""

    document_id: int
    #: None while the document waits in the clerks' inbox (Posteingang), not yet filed
    case_id: int | None
    team_id: int | None
    title: str
    #: all pages joined; may be large
    text: str
    #: the Aktenzeichen of the case file, e.g. ``MA-1234-2026-00017``; may be empty
    reference: str = ""
    #: the person's names and their known spelling variants
    person_names: tuple[str, ...] = ()
    doc_type: str = ""
    received: date | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """Which documents a caller may see; indexes MUST apply it inside the index, never after.

    A document is in scope if ``everything`` is set, or its ``case_id`` is in ``case_ids``,
    or its ``team_id`` is in ``team_ids``, or ``inbox`` is set and it has no case. An empty
    scope matches nothing: access is denied by default.
    """

    case_ids: frozenset[int] = frozenset()
    team_ids: frozenset[int] = frozenset()
    inbox: bool = False
    everything: bool = False

    @classmethod
    def unrestricted(cls) -> Scope:
        """All documents: for administrative jobs (reindex, consistency checks), not for users."""
        return cls(everything=True)

    @property
    def is_empty(self) -> bool:
        """True if the scope can match no document at all."""
        return not (self.everything or self.inbox or self.case_ids or self.team_ids)

    def allows(self, case_id: int | None, team_id: int | None) -> bool:
        """The scope rule for one document, for fakes and for checks outside the index."""
        return (
            self.everything
            or (case_id is not None and case_id in self.case_ids)
            or (team_id is not None and team_id in self.team_ids)
            or (self.inbox and case_id is None)
        )


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search request; construction raises InvalidQueryError for impossible paging or dates.

    ``text`` follows the grammar in :mod:`search.querylang`. Text without any searchable
    word (empty, only operators or ``*``) lists every document in scope that passes the
    filters, newest document id first, with score 0 — so a case file can be browsed by
    type or date with the same call. The filters narrow the scope; they never widen it.
    Documents without a ``received`` date never pass a date filter.
    """

    text: str
    scope: Scope
    #: restrict to one case file (still within the scope)
    case_id: int | None = None
    doc_type: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    limit: int = 20
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidQueryError(f"limit must be between 1 and {MAX_LIMIT}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise InvalidQueryError(f"offset must be between 0 and {MAX_OFFSET}")
        if (
            self.received_from is not None
            and self.received_to is not None
            and self.received_from > self.received_to
        ):
            raise InvalidQueryError("received_from is after received_to")


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result; ``snippet`` is HTML-escaped text in which only ``<mark>`` tags are markup."""

    document_id: int
    case_id: int | None
    title: str
    snippet: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of hits and the total number of matching documents in scope."""

    hits: tuple[SearchHit, ...]
    total: int


@runtime_checkable
class SearchIndex(Protocol):
    """A full-text index of documents, queried within an access scope.

    Implementations MUST apply :class:`Scope` inside the index so that out-of-scope
    documents influence neither hits nor totals, MUST treat ``document_id`` as the
    identity (indexing again replaces), MUST escape snippets, and MUST raise only
    :class:`~search.errors.SearchError` subclasses. Writes SHOULD come from a single
    process; reads MAY come from many processes and SHOULD see a committed write on
    their next query.
    """

    def index(self, documents: Iterable[IndexedDocument]) -> None:
        """Insert or replace the documents; all of them are visible once this returns."""
        ...

    def delete(self, document_ids: Iterable[int]) -> None:
        """Remove the documents; unknown ids are ignored, so deleting is idempotent."""
        ...

    def search(self, query: SearchQuery) -> SearchResult:
        """Run the query within its scope; odd user text MUST NOT raise (see querylang)."""
        ...

    def count(self, scope: Scope) -> int:
        """Number of indexed documents in the scope (an empty scope counts 0)."""
        ...

    def document_ids(self) -> Iterator[int]:
        """All indexed document ids in ascending order, for rebuilds and consistency checks."""
        ...

    def clear(self) -> None:
        """Remove every document."""
        ...

    def check(self) -> None:
        """Raise IndexUnavailableError unless the index can be read (a health probe)."""
        ...

    def optimize(self) -> None:
        """Compact the index for faster queries (slow; after a rebuild); MAY do nothing."""
        ...

    def close(self) -> None:
        """Release files and caches; the object MUST NOT be used afterwards."""
        ...
