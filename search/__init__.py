"""Full-text search for ecase: the SearchIndex port, its value objects, errors and rebuilds.

Concrete indexes live in ``search.whoosh_index`` (embedded default) and ``search.memory``
(the fake); ``search.url.open_search_index`` picks one from configuration and is meant to
be imported by the composition root only.
"""

from search.errors import (
    IncompatibleIndexError,
    IndexLockedError,
    IndexUnavailableError,
    InvalidQueryError,
    RebuildError,
    SearchError,
)
from search.model import (
    MAX_LIMIT,
    MAX_OFFSET,
    IndexedDocument,
    Scope,
    SearchHit,
    SearchIndex,
    SearchQuery,
    SearchResult,
)
from search.rebuild import RebuildReport, read_checkpoint, rebuild

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "IncompatibleIndexError",
    "IndexLockedError",
    "IndexUnavailableError",
    "IndexedDocument",
    "InvalidQueryError",
    "RebuildError",
    "RebuildReport",
    "Scope",
    "SearchError",
    "SearchHit",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "read_checkpoint",
    "rebuild",
]
