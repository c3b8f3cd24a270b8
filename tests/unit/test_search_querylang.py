"""Unit tests for the lenient user query language and its analysis per field kind."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search import InvalidQueryError
from search.querylang import (
    MAX_QUERY_CHARS,
    Clause,
    ClauseTerms,
    analyze_clause,
    parse_query,
)


def test_words_are_required_and_or_joins_neighbours() -> None:
    parsed = parse_query("a b OR c d")

    assert parsed.groups == (
        (Clause("a"),),
        (Clause("b"), Clause("c")),
        (Clause("d"),),
    )
    assert parsed.excluded == ()


def test_exclusions_phrases_and_prefixes() -> None:
    parsed = parse_query('-alt NOT weg "ein satz" antr* ab*')

    assert parsed.excluded == (Clause("alt"), Clause("weg"))
    assert parsed.groups == (
        (Clause("ein satz", phrase=True),),
        (Clause("antr", prefix=True),),
        (Clause("ab"),),  # too short to expand: an exact word
    )


@pytest.mark.parametrize("text", ["", "   ", "*", "AND OR", "NOT", '""', "-", "( )", "? ~ ^"])
def test_text_without_words_is_empty(text: str) -> None:
    assert parse_query(text).is_empty


def test_an_unbalanced_quote_runs_to_the_end() -> None:
    assert parse_query('x "ein satz').groups == ((Clause("x"),), (Clause("ein satz", phrase=True),))


def test_german_operators_are_understood() -> None:
    assert parse_query("a ODER b UND c NICHT d") == parse_query("a OR b AND c NOT d")


def test_lowercase_operators_are_words() -> None:
    assert parse_query("a or b").groups == ((Clause("a"),), (Clause("or"),), (Clause("b"),))


def test_limits_give_a_clear_error() -> None:
    with pytest.raises(InvalidQueryError):
        parse_query("x" * (MAX_QUERY_CHARS + 1))
    with pytest.raises(InvalidQueryError):
        parse_query("a " * 33)


@given(st.text(max_size=300))
def test_parsing_never_fails_on_short_text(text: str) -> None:
    parse_query(text)


def test_a_field_like_word_becomes_a_phrase_not_a_field() -> None:
    terms = analyze_clause(Clause("team_id:1"), stemmed=False)

    assert terms == ClauseTerms(parts=("team", "id", "1"))


def test_a_compound_word_offers_the_whole_term_and_the_phrase() -> None:
    terms = analyze_clause(Clause("MA-1234-2026-00017"), stemmed=True)

    assert terms == ClauseTerms(
        parts=("ma", "1234", "2026", "00017"), compound="ma-1234-2026-00017"
    )


def test_a_prefix_is_analysed_like_the_field() -> None:
    assert analyze_clause(Clause("Anträ", prefix=True), stemmed=True) == ClauseTerms(prefix="antra")
    assert analyze_clause(Clause("MA-12", prefix=True), stemmed=False) == ClauseTerms(
        prefix="ma-12"
    )


def test_a_clause_of_punctuation_analyses_to_nothing() -> None:
    assert analyze_clause(Clause("--"), stemmed=True) is None
