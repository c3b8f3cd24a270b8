"""Snippets with highlighted matches that are safe to put into HTML as they are.

Whoosh's highlighter is not used, although its HtmlFormatter does escape (checked in
whoosh-reloaded 2.7.5: ``_text`` and ``format_token`` both call ``htmlescape``): it emits
``<strong class="match term0">``, cannot tell a matched Aktenzeichen from its overlapping
parts, and the fake could not share it. Here every piece of document text goes through
:func:`html.escape` and the only markup added is ``<mark>…</mark>``; matches are found
with the same analysis as the index, so the fake and Whoosh highlight alike.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from search.analysis import CHUNK_RE as _CHUNK_RE
from search.analysis import MAX_TOKEN_CHARS, chunks, stem
from search.querylang import ClauseTerms

__all__ = ["SCAN_CHARS", "Highlighter"]

#: Matches are looked for in this many leading characters only: a snippet for a
#: 300-page file must not cost a full re-analysis on every query.
SCAN_CHARS: Final = 200_000
#: Enough matches to pick a dense window; scanning on costs time on every hit.
_MAX_SPANS: Final = 12
_WS_RE: Final = re.compile(r"\s+")
_ELLIPSIS: Final = "…"


@dataclass(frozen=True, slots=True)
class Highlighter:
    """Marks occurrences of the query's positive terms in (stemmed) document text."""

    terms: frozenset[str]
    prefixes: tuple[str, ...]

    @classmethod
    def for_clauses(cls, clauses: Iterable[ClauseTerms]) -> Highlighter:
        """Build from the positive clauses as analysed for the text field."""
        terms: set[str] = set()
        prefixes: list[str] = []
        for clause in clauses:
            terms.update(clause.highlight_terms())
            if clause.prefix:
                prefixes.append(clause.prefix)
        return cls(frozenset(terms), tuple(prefixes))

    def _hit(self, term: str) -> bool:
        return term in self.terms or any(term.startswith(p) for p in self.prefixes)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the first matches in the first SCAN_CHARS characters."""
        if not self.terms and not self.prefixes:
            return []
        found: list[tuple[int, int]] = []
        terms, hit = self.terms, self._hit
        # The hot loop of every search: single words skip the Chunk machinery.
        for match in _CHUNK_RE.finditer(text, 0, SCAN_CHARS):
            raw = match.group()
            if raw.isalnum():
                if len(raw) <= MAX_TOKEN_CHARS:
                    term = stem(raw)
                    if term in terms or (self.prefixes and hit(term)):
                        found.append(match.span())
            else:
                for chunk in chunks(raw, stemmed=True):
                    s0 = match.start()
                    if chunk.compound is not None and hit(chunk.compound):
                        found.append((s0 + chunk.start, s0 + chunk.end))
                    else:
                        found.extend((s0 + s, s0 + e) for t, s, e in chunk.parts if hit(t))
            if len(found) >= _MAX_SPANS:
                break
        return found

    def snippet(self, text: str, *, width: int = 240) -> str:
        """An escaped excerpt of about ``width`` characters around the densest matches."""
        spans = self.spans(text)
        start, end = _window(text, spans, width)
        out: list[str] = [_ELLIPSIS] if start > 0 else []
        cursor = start
        for s, e in spans:
            if s < cursor or e > end:
                continue
            out.append(html.escape(text[cursor:s]))
            out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
            cursor = e
        out.append(html.escape(text[cursor:end]))
        if end < len(text):
            out.append(_ELLIPSIS)
        return _WS_RE.sub(" ", "".join(out)).strip()


def _window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """Choose [start, end) holding the most match starts, cut at whitespace."""
    if not spans:
        return 0, _cut_end(text, min(len(text), width))
    best, best_count, j = 0, 0, 0
    for i, (s, _) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] <= s + width:
            j += 1
        if j - i + 1 > best_count:
            best, best_count = i, j - i + 1
    first = spans[best][0]
    last_end = spans[best + best_count - 1][1]
    lead = max(0, (width - (last_end - first)) // 3)
    start = min(first, _cut_start(text, max(0, first - lead)))
    end = _cut_end(text, max(last_end, min(len(text), start + width)))
    return start, end


def _cut_start(text: str, pos: int) -> int:
    """Move pos forward to a word start so the snippet does not begin mid-word."""
    if pos == 0 or text[pos - 1].isspace():
        return pos
    nxt = _WS_RE.search(text, pos, min(len(text), pos + 30))
    return nxt.end() if nxt else pos


def _cut_end(text: str, pos: int) -> int:
    """Move pos forward to a word end so the snippet does not end mid-word."""
    if pos >= len(text) or text[pos].isspace():
        return pos
    nxt = _WS_RE.search(text, pos, min(len(text), pos + 30))
    return nxt.start() if nxt else pos
