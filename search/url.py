"""Choose a SearchIndex implementation from a configuration URL (ECASE_SEARCH_URL)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from search.errors import SearchError
from search.memory import InMemorySearchIndex
from search.model import SearchIndex
from search.whoosh_index import WhooshSearchIndex

__all__ = ["open_search_index"]


def open_search_index(url: str, *, reset_incompatible: bool = False) -> SearchIndex:
    """Open the index named by ``url``.

    ``reset_incompatible`` lets a full rebuild replace an index of an older schema version
    instead of refusing to open it.

    ``whoosh:///abs/path`` or a plain filesystem path opens (or creates) a Whoosh index
    there; ``memory://`` gives a fresh in-memory fake. Anything else raises SearchError,
    so a typo in the configuration fails at startup rather than at the first search.
    """
    if not url.strip():
        raise SearchError("empty search index URL")
    if "://" not in url:
        return WhooshSearchIndex(Path(url).expanduser(), reset_incompatible=reset_incompatible)
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return InMemorySearchIndex()
    if parts.scheme == "whoosh":
        if parts.netloc not in ("", "localhost"):
            raise SearchError(f"whoosh URLs name a local directory, not host {parts.netloc!r}")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise SearchError(f"whoosh URL needs an absolute path (whoosh:///abs/path): {url}")
        return WhooshSearchIndex(Path(path), reset_incompatible=reset_incompatible)
    raise SearchError(f"unsupported search index URL scheme {parts.scheme!r}")
