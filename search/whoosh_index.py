"""The embedded SearchIndex: a Whoosh index in a directory, one writer, readers anywhere.

whoosh-reloaded is used because the original Whoosh is unmaintained and breaks on current
Pythons; whoosh-reloaded keeps its file format and API and is released for 3.11+.
Whoosh objects are untyped; ``Any`` stays inside this module.

Design points, and why:

* **Single writer, bounded memory.** Every write takes Whoosh's ``WRITELOCK`` (an
  ``flock``, released by the kernel if the process dies), waiting up to
  ``lock_timeout`` seconds, and runs with ``procs=1`` and ``limitmb`` for the posting
  pool, which spills to temporary files beyond that. ``AsyncWriter`` is not used: it
  buffers in a thread and would hide a second writer instead of failing loudly.
* **Cheap fresh reads.** Searchers are pooled; before each query ``up_to_date()`` costs a
  directory listing, and only after a commit is a new searcher opened, so a commit by the
  worker process is visible to the web processes' next query. ``Searcher.refresh()`` is
  avoided on purpose: in whoosh-reloaded 2.7.5 it returns duplicates after updates.
* **Scope inside the index.** The scope becomes a set of internal document numbers
  (postings of the ``case_id``/``team_id`` terms) passed as Whoosh's ``filter``, so the
  collector never sees other documents. A caseworker's scope (thousands of case ids)
  repeats on every query, so the sets are cached per segment: after a worker commit only
  the new small segment is scoped (from its columns), not the whole index again.
  Whoosh treats an *empty* filter as "no filter", so an empty set answers "no hits".
* **No mmap.** whoosh-reloaded 2.7.5 wraps each mmap'ed segment part in ``BytesIO``, which
  copies it: opening a searcher on a 100,000-document index took 270 ms and 500-700 MiB of
  RSS, and merges during a rebuild doubled the writer's peak RSS. With plain file reads
  (``supports_mmap=False``) a searcher opens in under 10 ms; the OS page cache still
  keeps hot postings in memory, shared between processes.
* **Snippets** come from the text stored zlib-compressed (about a third of the size).
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Final

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.util.filelock import try_for
from whoosh.writing import CLEAR

from search.analysis import analyze
from search.errors import (
    IncompatibleIndexError,
    IndexLockedError,
    IndexUnavailableError,
    SearchError,
)
from search.model import IndexedDocument, Scope, SearchHit, SearchQuery, SearchResult
from search.querylang import ClauseTerms, parse_query
from search.schema import TEXT_FIELDS, AnalyzedClause, CompiledQuery, compile_query, field_values

__all__ = ["SCHEMA_VERSION", "WhooshSearchIndex"]

log = logging.getLogger(__name__)

#: Bump when fields or analysis change; an index built with another version must be rebuilt.
SCHEMA_VERSION: Final = 1
_VERSION_FILE: Final = "ecase-search-schema"
_INDEX_NAME: Final = "MAIN"
_NO_CASE: Final = "none"


class GermanTokenizer(Tokenizer):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh adapter for :func:`search.analysis.analyze`; pickled into the index's TOC."""

    def __init__(self, stemmed: bool) -> None:
        self.stemmed = stemmed

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GermanTokenizer) and other.stemmed == self.stemmed

    def __hash__(self) -> int:
        return hash((GermanTokenizer, self.stemmed))

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Any]:
        # Whoosh's protocol: one Token object, mutated and yielded again for speed.
        start_pos = int(kwargs.pop("start_pos", 0))
        start_char = int(kwargs.pop("start_char", 0))
        keeporiginal = bool(kwargs.pop("keeporiginal", False))
        for unused in ("tokenize", "removestops"):
            kwargs.pop(unused, None)
        token = Token(**kwargs)
        for term, pos, start, end in analyze(value, stemmed=self.stemmed):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = term
            token.pos = start_pos + pos
            token.startchar = start_char + start
            token.endchar = start_char + end
            yield token


def _schema() -> Any:
    text_fields = {
        f.name: TEXT(analyzer=GermanTokenizer(f.stemmed), phrase=True, stored=False)
        for f in TEXT_FIELDS
    }
    return Schema(
        # shift_step=64: one term per id; ids are looked up, never range-queried
        document_id=NUMERIC(int, bits=64, unique=True, sortable=True, shift_step=64),
        # columns as well: scoping a small new segment reads them instead of the terms
        case_id=ID(sortable=True),
        team_id=ID(sortable=True),
        doc_type=ID(),
        # signed: in whoosh-reloaded 2.7.5 an unsigned NumericRange with a high upper bound
        # also matched values below its lower bound
        received=NUMERIC(int, bits=32),
        payload=STORED(),
        **text_fields,
    )


class WhooshSearchIndex:
    """A SearchIndex stored in ``path`` (created if missing)."""

    def __init__(
        self,
        path: Path,
        *,
        limitmb: int = 128,
        lock_timeout: float = 30.0,
        filter_cache_size: int = 32,
        reset_incompatible: bool = False,
    ) -> None:
        """Open or create the index.

        ``reset_incompatible`` wipes an index built with another schema version instead of
        raising IncompatibleIndexError; ``ecase reindex`` uses it before a full rebuild.
        """
        self._path = path
        self._limitmb = limitmb
        self._lock_timeout = lock_timeout
        self._filter_cache_size = filter_cache_size
        self._lock = threading.Lock()
        self._pool: list[Any] = []
        self._filters: OrderedDict[Any, set[int]] = OrderedDict()
        self._segment_filters: OrderedDict[Any, frozenset[int]] = OrderedDict()
        self._closed = False
        self._ix = self._open(reset_incompatible)

    # -- opening ----------------------------------------------------------------------

    def _open(self, reset_incompatible: bool) -> Any:
        try:
            self._path.mkdir(parents=True, exist_ok=True)
            storage = FileStorage(str(self._path), supports_mmap=False)
            # The write lock also serialises creation between the web and worker processes.
            lock = storage.lock(f"{_INDEX_NAME}_WRITELOCK")
            if not _try_lock(lock, self._lock_timeout):
                raise IndexLockedError(f"search index {self._path} is locked by another writer")
            try:
                return self._open_locked(storage, reset_incompatible)
            finally:
                lock.release()
        except SearchError:
            raise
        except Exception as exc:
            raise IndexUnavailableError(f"cannot open search index {self._path}: {exc}") from exc

    def _open_locked(self, storage: Any, reset_incompatible: bool) -> Any:
        marker = self._path / _VERSION_FILE
        if whoosh_index.exists_in(str(self._path), indexname=_INDEX_NAME):
            found = marker.read_text().strip() if marker.exists() else "?"
            problem = None
            if found != str(SCHEMA_VERSION):
                problem = f"schema version {found}, expected {SCHEMA_VERSION}"
            else:
                try:
                    return storage.open_index(_INDEX_NAME)
                except Exception as exc:  # an unpicklable TOC: analyser classes moved
                    problem = f"unreadable table of contents ({exc})"
            if not reset_incompatible:
                raise IncompatibleIndexError(
                    f"search index {self._path} has {problem}; rebuild it (ecase reindex)"
                )
            log.warning("recreating incompatible search index %s: %s", self._path, problem)
        ix = storage.create_index(_schema(), indexname=_INDEX_NAME)
        marker.write_text(f"{SCHEMA_VERSION}\n")
        return ix

    # -- writing ----------------------------------------------------------------------

    def _writer(self) -> Any:
        try:
            return self._ix.writer(
                procs=1, limitmb=self._limitmb, timeout=self._lock_timeout, delay=0.05
            )
        except LockError as exc:
            raise IndexLockedError(
                f"search index {self._path} is locked by another writer"
            ) from exc

    def index(self, documents: Iterable[IndexedDocument]) -> None:
        """Insert or replace the documents in one commit (more if an id repeats).

        Errors raised while iterating ``documents`` are the caller's and propagate as they
        are; the uncommitted batch is then discarded.
        """
        self._check_open()
        writer = None
        pending: set[int] = set()
        try:
            for document in documents:
                fields = _fields(document)
                with self._failures("indexing into"):
                    if writer is None:
                        writer = self._writer()
                    elif document.document_id in pending:
                        # update_document cannot replace a document of the open segment.
                        writer.commit()
                        writer = self._writer()
                        pending.clear()
                    writer.update_document(**fields)
                pending.add(document.document_id)
            if writer is not None:
                with self._failures("indexing into"):
                    writer.commit()
                writer = None
        finally:
            if writer is not None:
                writer.cancel()

    @contextmanager
    def _failures(self, action: str) -> Iterator[None]:
        """Report Whoosh and OS failures as IndexUnavailableError, ours as they are."""
        try:
            yield
        except SearchError:
            raise
        except Exception as exc:
            raise IndexUnavailableError(f"{action} {self._path} failed: {exc}") from exc

    def delete(self, document_ids: Iterable[int]) -> None:
        """Remove the documents; unknown ids are ignored."""
        self._check_open()
        ids = list(document_ids)
        if ids:
            self._commit(
                "deleting from", lambda w: [w.delete_by_term("document_id", i) for i in ids]
            )

    def clear(self) -> None:
        """Remove every document (a new, empty generation; files go at the next commit)."""
        self._check_open()
        self._commit("clearing", lambda w: None, mergetype=CLEAR)

    def optimize(self) -> None:
        """Merge all segments into one; worth it after a full rebuild (faster queries)."""
        self._check_open()
        self._commit("optimizing", lambda w: None, optimize=True)

    def _commit(self, action: str, change: Any, **commit_args: Any) -> None:
        writer = self._writer()
        try:
            with self._failures(action):
                change(writer)
                writer.commit(**commit_args)
            writer = None
        finally:
            if writer is not None:
                writer.cancel()

    # -- reading ----------------------------------------------------------------------

    def _acquire(self) -> Any:
        self._check_open()
        with self._lock:
            searcher = self._pool.pop() if self._pool else None
        if searcher is not None and not searcher.up_to_date():
            # Not searcher.refresh(): in whoosh-reloaded 2.7.5 the reader it builds re-adds
            # the old segments (FileIndex._reader merges ``reuse.segments()``) and keeps
            # their stale deletion sets, so updated documents show up twice.
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = self._ix.searcher()
        return searcher

    def _release(self, searcher: Any) -> None:
        with self._lock:
            if not self._closed:
                self._pool.append(searcher)
                return
        searcher.close()

    def _read(self, fn: Any) -> Any:
        """Run fn(searcher) on a fresh searcher, mapping failures to SearchError."""
        try:
            searcher = self._acquire()
        except SearchError:
            raise
        except Exception as exc:
            raise IndexUnavailableError(f"cannot read search index {self._path}: {exc}") from exc
        try:
            return fn(searcher)
        except SearchError:
            raise
        except Exception as exc:
            searcher.close()
            searcher = None
            raise IndexUnavailableError(f"search in {self._path} failed: {exc}") from exc
        finally:
            if searcher is not None:
                self._release(searcher)

    def _cached(self, cache: OrderedDict[Any, Any], key: Any) -> Any:
        with self._lock:
            value = cache.get(key)
            if value is not None:
                cache.move_to_end(key)
            return value

    def _remember(self, cache: OrderedDict[Any, Any], key: Any, value: Any, size: int) -> None:
        with self._lock:
            cache[key] = value
            while len(cache) > size:
                cache.popitem(last=False)

    def _segment_scope(self, reader: Any, scope: Scope) -> frozenset[int]:
        """Segment-local numbers of the documents in scope, cached per segment and scope.

        Segments never change their documents, only mark them deleted, so the entry stays
        valid until a merge retires the segment; it may hold deleted documents, which no
        matcher returns (counts subtract them). A worker commit therefore only costs the
        new, small segment.
        """
        key = (reader.segment().segment_id(), scope)
        cached: frozenset[int] | None = self._cached(self._segment_filters, key)
        if cached is not None:
            return cached
        case_keys = {str(c) for c in scope.case_ids}
        if scope.inbox:
            case_keys.add(_NO_CASE)
        team_keys = {str(t) for t in scope.team_ids}
        size = reader.doc_count_all()
        if size < len(case_keys) + len(team_keys):
            # A small segment: reading its columns beats one term lookup per scope id.
            cases = reader.column_reader("case_id")
            teams = reader.column_reader("team_id")
            local = frozenset(
                d for d in range(size) if cases[d] in case_keys or teams[d] in team_keys
            )
        else:
            found: set[int] = set()
            for field, keys in (("case_id", case_keys), ("team_id", team_keys)):
                for text in keys:
                    if (field, text) in reader:
                        found.update(reader.postings(field, text).all_ids())
            local = frozenset(found)
        self._remember(self._segment_filters, key, local, self._filter_cache_size * 16)
        return local

    @staticmethod
    def _leaves(searcher: Any) -> list[tuple[Any, int]]:
        return [(r, base) for r, base in searcher.reader().leaf_readers() if r.doc_count_all()]

    def _scope_docs(self, searcher: Any, scope: Scope) -> set[int] | None:
        """Index-wide numbers of the documents in scope; None means all of them.

        The returned set is shared through the cache and MUST NOT be modified; it is a
        ``set`` because that is what Whoosh's ``filter`` accepts.
        """
        if scope.everything:
            return None
        leaves = self._leaves(searcher)
        key = (tuple((r.segment().segment_id(), base) for r, base in leaves), scope)
        cached: set[int] | None = self._cached(self._filters, key)
        if cached is not None:
            return cached
        docs: set[int] = set()
        for reader, base in leaves:
            local = self._segment_scope(reader, scope)
            docs.update(local if base == 0 else (base + d for d in local))
        self._remember(self._filters, key, docs, self._filter_cache_size)
        return docs

    def search(self, query: SearchQuery) -> SearchResult:
        """Run the query within its scope (see SearchQuery for empty text)."""
        compiled = compile_query(parse_query(query.text))
        if query.scope.is_empty:
            return SearchResult(hits=(), total=0)
        result: SearchResult = self._read(lambda s: self._search(s, query, compiled))
        return result

    def _search(self, searcher: Any, query: SearchQuery, compiled: CompiledQuery) -> SearchResult:
        allowed = self._scope_docs(searcher, query.scope)
        if allowed is not None and not allowed:
            # Whoosh reads an empty filter as "no filter": never hand it one.
            return SearchResult(hits=(), total=0)
        whoosh_query = _build_query(compiled, query)
        top = query.offset + query.limit
        if compiled.is_empty:
            results = searcher.search(
                whoosh_query, limit=top, filter=allowed, sortedby="document_id", reverse=True
            )
        else:
            results = searcher.search(whoosh_query, limit=top, filter=allowed, optimize=False)
        total = len(results)
        hits: list[SearchHit] = []
        for hit in results[query.offset : top]:
            document_id, case_id, title, packed = hit["payload"]
            text = zlib.decompress(packed).decode("utf-8")
            hits.append(
                SearchHit(
                    document_id=document_id,
                    case_id=case_id,
                    title=title,
                    snippet=compiled.highlighter.snippet(text),
                    score=0.0 if compiled.is_empty else float(hit.score),
                )
            )
        return SearchResult(hits=tuple(hits), total=total)

    def count(self, scope: Scope) -> int:
        """Number of documents in the scope."""
        if scope.is_empty:
            return 0

        def run(searcher: Any) -> int:
            if scope.everything:
                return int(searcher.doc_count())
            return sum(
                len(self._segment_scope(reader, scope) - reader.deleted_docs_set)
                for reader, _ in self._leaves(searcher)
            )

        result: int = self._read(run)
        return result

    def document_ids(self) -> Iterator[int]:
        """All ids, ascending (read from the sortable id column, skipping deleted docs)."""

        def run(searcher: Any) -> list[int]:
            reader = searcher.reader()
            if reader.doc_count() == 0:
                return []  # an EmptyReader (no segments) has no columns at all
            column = reader.column_reader("document_id")
            return sorted(int(column[docnum]) for docnum in reader.all_doc_ids())

        ids: list[int] = self._read(run)
        return iter(ids)

    def check(self) -> None:
        """Open a fresh searcher and read the document count."""
        self._read(lambda s: s.doc_count())

    def close(self) -> None:
        """Close pooled searchers; the index must not be used afterwards."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, []
            self._filters.clear()
            self._segment_filters.clear()
        for searcher in pool:
            searcher.close()

    def _check_open(self) -> None:
        if self._closed:
            raise IndexUnavailableError("search index is closed")


def _try_lock(lock: Any, timeout: float) -> bool:
    return bool(try_for(lock.acquire, timeout=timeout, delay=0.05))


def _fields(document: IndexedDocument) -> dict[str, Any]:
    packed = zlib.compress(document.text.encode("utf-8"))
    fields: dict[str, Any] = {
        "document_id": document.document_id,
        "case_id": _NO_CASE if document.case_id is None else str(document.case_id),
        "payload": (document.document_id, document.case_id, document.title, packed),
        **field_values(document),
    }
    if document.team_id is not None:
        fields["team_id"] = str(document.team_id)
    if document.doc_type:
        fields["doc_type"] = document.doc_type
    if document.received is not None:
        fields["received"] = document.received.toordinal()
    # Whoosh rejects empty strings for ID fields and wastes work on empty text fields.
    return {k: v for k, v in fields.items() if v != ""}


def _field_query(name: str, boost: float, terms: ClauseTerms) -> Any:
    if terms.prefix is not None:
        return wq.Prefix(name, terms.prefix, boost=boost)
    if len(terms.parts) == 1:
        query = wq.Term(name, terms.parts[0], boost=boost)
    else:
        query = wq.Phrase(name, list(terms.parts), boost=boost)
    if terms.compound is not None:
        query = wq.Or([wq.Term(name, terms.compound, boost=boost), query])
    return query


def _clause_query(clause: AnalyzedClause) -> Any:
    subqueries = []
    for field in TEXT_FIELDS:
        terms = clause.for_field(field)
        if terms is not None:
            subqueries.append(_field_query(field.name, field.boost, terms))
    return wq.Or(subqueries)


def _ordinal(day: date | None) -> int | None:
    return None if day is None else day.toordinal()


def _build_query(compiled: CompiledQuery, query: SearchQuery) -> Any:
    """Translate the compiled user query and the filters; no user text reaches a field name."""
    restrictions = []
    if query.case_id is not None:
        restrictions.append(wq.Term("case_id", str(query.case_id)))
    if query.doc_type is not None:
        restrictions.append(wq.Term("doc_type", query.doc_type))
    if query.received_from is not None or query.received_to is not None:
        restrictions.append(
            wq.NumericRange("received", _ordinal(query.received_from), _ordinal(query.received_to))
        )
    parts = [wq.ConstantScoreQuery(r, score=0.0) for r in restrictions]
    if compiled.is_empty:
        main: Any = wq.Every() if not parts else wq.And(parts)
    else:
        groups = [wq.Or([_clause_query(c) for c in group]) for group in compiled.groups]
        main = wq.And(groups + parts)
    if compiled.excluded:
        main = wq.AndNot(main, wq.Or([_clause_query(c) for c in compiled.excluded]))
    return main
