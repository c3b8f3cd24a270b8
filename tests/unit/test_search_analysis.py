"""Unit tests for the German analysis shared by the search index implementations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.analysis import MAX_TOKEN_CHARS, analyze, chunks, fold, normalize, stem


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        (("Müller", "Mueller", "Muller", "MÜLLER", "MUELLER"), "muller"),
        (("Straße", "Strasse", "STRASSE", "Straẞe"), "strasse"),
        (("Größe", "Groesse", "Grösse"), "grosse"),
        (("Şahin", "Sahin"), "sahin"),
        (("Yılmaz", "Yilmaz"), "yilmaz"),
        (("José", "Jose"), "jose"),
        (("Søren", "Soren"), "soren"),
        (("Ærø", "Aero"), "aro"),  # æ reads as ae, which then folds like ä
    ],
)
def test_fold_maps_spelling_variants_to_one_form(variants: tuple[str, ...], expected: str) -> None:
    assert {fold(v) for v in variants} == {expected}


@pytest.mark.parametrize("word", ["Quelle", "Feuer", "Bauer", "neue", "Steuer"])
def test_ue_after_q_or_a_vowel_is_not_an_umlaut(word: str) -> None:
    assert fold(word) == word.lower()


@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        (("Antrag", "Anträge", "Antraege", "Anträgen", "Antrags"), "antrag"),
        (("Bescheid", "Bescheide", "Bescheiden", "Bescheids"), "bescheid"),
        (("Aufenthaltserlaubnis", "Aufenthaltserlaubnisse"), "aufenthaltserlaubnis"),
        (("Haus", "Häuser", "Haeuser"), "haus"),
        (("Straße", "Strasse", "Straßen"), "strass"),
        (("Müller", "Mueller", "Muller"), "mull"),
    ],
)
def test_stem_unifies_inflections(forms: tuple[str, ...], expected: str) -> None:
    assert {stem(f) for f in forms} == {expected}


@pytest.mark.parametrize("word", ["00017", "2026", "b2", "A1"])
def test_numbers_and_codes_are_not_stemmed(word: str) -> None:
    assert stem(word) == word.lower()


def test_names_are_folded_but_not_stemmed() -> None:
    assert normalize("Hansen", stemmed=False) == "hansen"
    assert normalize("Hans", stemmed=False) == "hans"
    assert normalize("Hansen", stemmed=True) == stem("Hansen")


def test_aktenzeichen_is_one_compound_with_positioned_parts() -> None:
    text = "Az. MA-1234-2026-00017 folgt"

    tokens = list(analyze(text, stemmed=True))

    assert [(t, p) for t, p, _, _ in tokens] == [
        ("az", 0),
        ("ma-1234-2026-00017", 1),
        ("ma", 1),
        ("1234", 2),
        ("2026", 3),
        ("00017", 4),
        (stem("folgt"), 5),
    ]
    assert [text[s:e] for _, _, s, e in tokens][1:3] == ["MA-1234-2026-00017", "MA"]


def test_compound_separators_are_kept_but_parts_are_folded() -> None:
    (chunk,) = chunks("Straße/Süd", stemmed=False)

    assert chunk.compound == "strasse/sud"
    assert [p for p, _, _ in chunk.parts] == ["strasse", "sud"]


def test_underscore_and_colon_separate_words() -> None:
    assert [t for t, _, _, _ in analyze("team_id:1", stemmed=False)] == ["team", "id", "1"]


def test_overlong_tokens_are_dropped() -> None:
    junk = "x" * (MAX_TOKEN_CHARS + 1)

    assert [t for t, *_ in analyze(f"vor {junk} nach", stemmed=False)] == ["vor", "nach"]


def test_punctuation_does_not_join_words() -> None:
    terms = [t for t, *_ in analyze("Ende. Anfang, (Klammer) 3.2.", stemmed=False)]

    assert terms == ["ende", "anfang", "klammer", "3.2", "3", "2"]


@given(st.text(max_size=200))
def test_analysis_yields_lowercase_terms_with_valid_offsets(text: str) -> None:
    last_pos = -1
    for term, pos, start, end in analyze(text, stemmed=True):
        assert term
        assert term == term.lower() or not term.isalpha()
        assert 0 <= start < end <= len(text)
        assert pos >= last_pos
        last_pos = pos
