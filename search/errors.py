"""The error hierarchy of the search package: everything it raises derives from SearchError."""

from __future__ import annotations

__all__ = [
    "IncompatibleIndexError",
    "IndexLockedError",
    "IndexUnavailableError",
    "InvalidQueryError",
    "RebuildError",
    "SearchError",
]


class SearchError(Exception):
    """Root of every error raised by a search index; callers may catch just this."""


class InvalidQueryError(SearchError, ValueError):
    """The query cannot be run as given (too long, bad paging); the message can be shown."""


class IndexUnavailableError(SearchError):
    """The index cannot be read or written (missing, corrupt, disk full); retry or rebuild."""


class IndexLockedError(IndexUnavailableError):
    """Another writer holds the index lock longer than the configured timeout."""


class IncompatibleIndexError(IndexUnavailableError):
    """The index on disk was built with another schema or analyser; rebuild it."""


class RebuildError(SearchError):
    """A rebuild was fed documents it cannot resume safely (e.g. not ordered by id)."""
