"""Unit tests for snippets: escaped text, <mark> around matches, a window around them."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from search.querylang import ClauseTerms
from search.snippets import Highlighter

_TAG_RE = re.compile(r"<[^>]*>")


def highlighter(*words: str, prefixes: tuple[str, ...] = ()) -> Highlighter:
    return Highlighter.for_clauses(
        [ClauseTerms(parts=(w,)) for w in words] + [ClauseTerms(prefix=p) for p in prefixes]
    )


def test_matches_are_marked_and_everything_else_escaped() -> None:
    snippet = highlighter("antrag").snippet('<a href="x">Anträge</a> & Co')

    assert snippet == "&lt;a href=&quot;x&quot;&gt;<mark>Anträge</mark>&lt;/a&gt; &amp; Co"


def test_prefixes_mark_every_word_they_start() -> None:
    snippet = highlighter(prefixes=("verlang",)).snippet("Verlängerung und verlangen")

    assert snippet == "<mark>Verlängerung</mark> und <mark>verlangen</mark>"


def test_whitespace_is_collapsed() -> None:
    assert highlighter("b").snippet("a\n\n  b\t c") == "a <mark>b</mark> c"


def test_no_match_gives_the_start_of_the_text() -> None:
    snippet = highlighter("fehlt").snippet("Wort " * 100, width=50)

    assert snippet.startswith("Wort Wort")
    assert snippet.endswith("…")
    assert "<mark>" not in snippet


def test_the_window_goes_to_the_densest_matches() -> None:
    text = "x a " + "füll " * 100 + "a b a b a " + "füll " * 100

    snippet = highlighter("a", "b").snippet(text, width=60)

    assert snippet.count("<mark>") == 5
    assert snippet.startswith("…")


@given(st.text(max_size=400), st.lists(st.sampled_from(["a", "ab", "x", "script"]), max_size=3))
def test_snippets_are_always_safe_html(text: str, words: list[str]) -> None:
    snippet = highlighter(*words).snippet(text)

    assert set(_TAG_RE.findall(snippet)) <= {"<mark>", "</mark>"}
    plain = html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))
    collapsed = " ".join(text.split())
    assert plain.strip("…").strip() in collapsed
