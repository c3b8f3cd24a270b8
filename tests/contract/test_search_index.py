"""Contract suite for SearchIndex: every test runs against Whoosh and the in-memory fake."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from search import (
    IncompatibleIndexError,
    IndexedDocument,
    IndexLockedError,
    InvalidQueryError,
    RebuildError,
    Scope,
    SearchError,
    SearchIndex,
    SearchQuery,
    SearchResult,
    read_checkpoint,
    rebuild,
)
from search.memory import InMemorySearchIndex
from search.url import open_search_index
from search.whoosh_index import WhooshSearchIndex

EVERYTHING = Scope.unrestricted()
MakeDoc = Callable[..., IndexedDocument]


@pytest.fixture(params=["whoosh", "memory"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    impl: SearchIndex
    if request.param == "whoosh":
        impl = WhooshSearchIndex(tmp_path / "index", lock_timeout=1.0)
    else:
        impl = InMemorySearchIndex()
    yield impl
    impl.close()


@pytest.fixture
def make_doc() -> MakeDoc:
    def make(document_id: int, text: str = "", **fields: Any) -> IndexedDocument:
        values: dict[str, Any] = {
            "case_id": 100 + document_id,
            "team_id": 1,
            "title": f"Dokument {document_id}",
            "text": text,
        }
        values.update(fields)
        return IndexedDocument(document_id=document_id, **values)

    return make


def find(index: SearchIndex, text: str, scope: Scope = EVERYTHING, **kw: Any) -> SearchResult:
    return index.search(SearchQuery(text, scope, **kw))


def ids(result: SearchResult) -> set[int]:
    return {hit.document_id for hit in result.hits}


# -- indexing, upsert, delete ---------------------------------------------------------------


def test_indexed_document_is_found_with_its_metadata(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index(
        [make_doc(1, "Die Ausländerbehörde bittet um Rückmeldung", case_id=7, title="Brief")]
    )

    result = find(index, "Rückmeldung")

    assert result.total == 1
    hit = result.hits[0]
    assert (hit.document_id, hit.case_id, hit.title) == (1, 7, "Brief")
    assert hit.score > 0


def test_indexing_again_replaces_the_document(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index([make_doc(1, "alter Inhalt"), make_doc(2, "anderer Inhalt")])
    assert find(index, "Inhalt").total == 2  # a searcher is now open and must be refreshed

    index.index([make_doc(1, "neuer Wortlaut")])

    assert find(index, "alter").total == 0
    assert ids(find(index, "Wortlaut")) == {1}
    assert find(index, "Inhalt").total == 1
    assert list(index.document_ids()) == [1, 2]


def test_a_repeated_id_in_one_call_keeps_the_last_version(
    index: SearchIndex, make_doc: MakeDoc
) -> None:
    index.index([make_doc(1, "erste Fassung"), make_doc(1, "zweite Fassung")])

    assert find(index, "Fassung").total == 1
    assert find(index, "erste").total == 0
    assert index.count(EVERYTHING) == 1


def test_a_failing_document_stream_indexes_nothing_and_keeps_its_error(
    index: SearchIndex, make_doc: MakeDoc
) -> None:
    class StreamError(Exception):
        pass

    def stream() -> Iterator[IndexedDocument]:
        yield make_doc(1, "Teil eins")
        raise StreamError

    with pytest.raises(StreamError):
        index.index(stream())

    assert find(index, "Teil").total == 0
    index.index([make_doc(2, "Teil zwei")])  # the write lock was released
    assert ids(find(index, "Teil")) == {2}


def test_delete_removes_documents_and_ignores_unknown_ids(
    index: SearchIndex, make_doc: MakeDoc
) -> None:
    index.index([make_doc(i, "Vermerk") for i in (1, 2, 3)])
    assert find(index, "Vermerk").total == 3

    index.delete([2, 99])
    index.delete([])

    assert ids(find(index, "Vermerk")) == {1, 3}
    assert list(index.document_ids()) == [1, 3]
    assert index.count(EVERYTHING) == 2


def test_clear_removes_everything(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index([make_doc(i, "Vermerk") for i in (1, 2)])

    index.clear()

    assert find(index, "Vermerk").total == 0
    assert list(index.document_ids()) == []
    index.index([make_doc(3, "Vermerk")])
    assert ids(find(index, "Vermerk")) == {3}


def test_document_ids_are_ascending(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index([make_doc(i) for i in (12, 3, 100, 7)])

    assert list(index.document_ids()) == [3, 7, 12, 100]


def test_check_passes_on_a_healthy_index(index: SearchIndex) -> None:
    index.check()


# -- German analysis ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("Strasse", "Wohnhaft in der Hauptstraße, Goethestraße und Straße 5"),
        ("Straße", "Wohnhaft in der Strasse"),
        ("Mueller", "Herr Müller erschien"),
        ("Muller", "Herr Müller erschien"),
        ("Müller", "Herr Mueller erschien"),
        ("MÜLLER", "Herr Muller erschien"),
        ("Anträge", "Der Antrag liegt vor"),
        ("Antrag", "Die Anträge liegen vor"),
        ("antraege", "Die Anträge liegen vor"),
        ("Bescheide", "Der Bescheid ist bestandskräftig"),
        ("Bescheid", "Gegen die Bescheiden wurde"),
        ("Aufenthaltserlaubnisse", "Aufenthaltserlaubnis erteilt"),
        ("Häuser", "Das Haus"),
        ("bestandskraftig", "ist bestandskräftig"),
    ],
)
def test_german_spelling_variants_and_inflections_match(
    index: SearchIndex, make_doc: MakeDoc, query: str, text: str
) -> None:
    index.index([make_doc(1, text), make_doc(2, "ganz anderer Inhalt")])

    assert ids(find(index, query)) == {1}


def test_umlaut_folding_does_not_merge_unrelated_words(
    index: SearchIndex, make_doc: MakeDoc
) -> None:
    index.index([make_doc(1, "Die Quelle"), make_doc(2, "Das Feuer"), make_doc(3, "Der Bauer")])

    assert ids(find(index, "Quelle")) == {1}
    assert ids(find(index, "Feuer")) == {2}
    assert ids(find(index, "Bauer")) == {3}


# -- Aktenzeichen, names, other fields ------------------------------------------------------


def test_aktenzeichen_is_found_whole_and_by_its_parts(
    index: SearchIndex, make_doc: MakeDoc
) -> None:
    index.index(
        [
            make_doc(1, "Schreiben", reference="MA-1234-2026-00017"),
            make_doc(2, "Schreiben", reference="MA-1234-2026-00018"),
            make_doc(3, "Bezug: Ihr Az. MA-1234-2026-00017 vom 3.2."),
            make_doc(4, "Schreiben", reference="MA-9999-2025-01234"),
        ]
    )

    assert ids(find(index, "MA-1234-2026-00017")) == {1, 3}
    assert ids(find(index, "ma-1234-2026-00017")) == {1, 3}
    assert ids(find(index, "00018")) == {2}
    assert ids(find(index, "1234-2026")) == {1, 2, 3}
    assert ids(find(index, '"MA 1234"')) == {1, 2, 3}
    assert ids(find(index, "MA-1234*")) == {1, 2, 3}
    assert ids(find(index, "1234")) == {1, 2, 3}  # 01234 is another number


def test_person_names_and_their_variants_are_searchable(
    index: SearchIndex, make_doc: MakeDoc
) -> None:
    index.index(
        [
            make_doc(1, "Antrag", person_names=("Muhammad Al-Hassan", "Mohammed Al Hassan")),
            make_doc(2, "Antrag", person_names=("Ayşe Yılmaz",)),
            make_doc(3, "Antrag", person_names=("Hans Hansen",)),
            make_doc(4, "Antrag", person_names=("Jürgen Şahin",)),
        ]
    )

    assert ids(find(index, "Mohammed")) == {1}
    assert ids(find(index, "Muhammad Hassan")) == {1}
    assert ids(find(index, "Yilmaz Ayse")) == {2}
    assert ids(find(index, "Sahin Juergen")) == {4}
    assert ids(find(index, "Hans")) == {3}
    assert find(index, "Hanse").total == 0  # names are folded, not stemmed


def test_title_and_document_type_are_searchable(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index(
        [
            make_doc(1, "Text", title="Widerspruch gegen Ablehnung"),
            make_doc(2, "Text", doc_type="Meldebescheinigung"),
        ]
    )

    assert ids(find(index, "Widersprüche")) == {1}
    assert ids(find(index, "Meldebescheinigungen")) == {2}


# -- filters --------------------------------------------------------------------------------


def test_filters_narrow_by_case_type_and_date(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index(
        [
            make_doc(1, "Pass", case_id=5, doc_type="Pass", received=date(2026, 1, 10)),
            make_doc(2, "Pass", case_id=5, doc_type="Antrag", received=date(2026, 2, 10)),
            make_doc(3, "Pass", case_id=6, doc_type="Pass", received=date(2026, 3, 10)),
            make_doc(4, "Pass", case_id=6, doc_type="Pass", received=None),
        ]
    )

    assert ids(find(index, "Pass", case_id=5)) == {1, 2}
    assert ids(find(index, "Pass", doc_type="Pass")) == {1, 3, 4}
    assert ids(find(index, "Pass", doc_type="pass")) == set()  # an exact value, not text
    assert ids(find(index, "Pass", received_from=date(2026, 2, 10))) == {2, 3}
    assert ids(find(index, "Pass", received_to=date(2026, 2, 10))) == {1, 2}
    both = find(index, "Pass", received_from=date(2026, 1, 11), received_to=date(2026, 3, 9))
    assert ids(both) == {2}
    assert ids(find(index, "Pass", case_id=6, doc_type="Pass", received_to=date(2026, 12, 31))) == {
        3
    }


# -- scope ----------------------------------------------------------------------------------


@pytest.fixture
def two_teams(index: SearchIndex, make_doc: MakeDoc) -> SearchIndex:
    index.index(
        [
            make_doc(1, "Kanarienvogel geheim", case_id=10, team_id=1),
            make_doc(2, "öffentlich", case_id=20, team_id=2),
            make_doc(3, "Kanarienvogel im Posteingang", case_id=None, team_id=None),
            make_doc(4, "öffentlich Kanarienvogel", case_id=30, team_id=None),
        ]
    )
    return index


def test_a_document_outside_the_scope_is_neither_found_nor_counted(two_teams: SearchIndex) -> None:
    team_b = Scope(team_ids=frozenset({2}))

    assert find(two_teams, "Kanarienvogel", team_b) == SearchResult(hits=(), total=0)
    assert find(two_teams, "geheim", team_b).total == 0
    assert two_teams.count(team_b) == 1
    assert ids(find(two_teams, "Kanarienvogel", Scope(team_ids=frozenset({1})))) == {1}


def test_scope_by_case_ids_and_teams_is_a_union(two_teams: SearchIndex) -> None:
    scope = Scope(case_ids=frozenset({30}), team_ids=frozenset({1}))

    assert ids(find(two_teams, "Kanarienvogel", scope)) == {1, 4}
    assert two_teams.count(scope) == 2


def test_an_empty_scope_matches_nothing(two_teams: SearchIndex) -> None:
    assert find(two_teams, "Kanarienvogel", Scope()).total == 0
    assert find(two_teams, "", Scope()).total == 0
    assert two_teams.count(Scope()) == 0


def test_a_scope_of_unknown_cases_matches_nothing(two_teams: SearchIndex) -> None:
    nowhere = Scope(case_ids=frozenset({999}), team_ids=frozenset({77}))

    assert find(two_teams, "Kanarienvogel", nowhere).total == 0
    assert find(two_teams, "", nowhere).total == 0
    assert two_teams.count(nowhere) == 0


def test_the_inbox_scope_sees_only_unfiled_documents(two_teams: SearchIndex) -> None:
    inbox = Scope(inbox=True)

    assert ids(find(two_teams, "Kanarienvogel", inbox)) == {3}
    assert two_teams.count(inbox) == 1


def test_filters_never_widen_the_scope(two_teams: SearchIndex) -> None:
    team_b = Scope(team_ids=frozenset({2}))

    assert find(two_teams, "Kanarienvogel", team_b, case_id=10).total == 0
    assert find(two_teams, "", team_b, case_id=10).total == 0


@pytest.mark.parametrize(
    "text",
    [
        "team_id:1",
        "team_id:1 Kanarienvogel",
        "Kanarienvogel OR team_id:1",
        "case_id:10",
        "case_id:none",
        "Kanarienvogel OR case_id:*",
        "payload:*",
        "document_id:1",
        "*:*",
        "Kanarienvogel team_id:[0 TO 9]",
        "Kanarienvogel OR NOT öffentlich",
    ],
)
def test_the_query_text_cannot_reach_the_scope_fields(two_teams: SearchIndex, text: str) -> None:
    team_b = Scope(team_ids=frozenset({2}))

    result = find(two_teams, text, team_b)

    assert ids(result) <= {2}
    assert result.total <= 1


def test_a_large_scope_stays_exact_across_commits_moves_and_deletions(
    index: SearchIndex, make_doc: MakeDoc
) -> None:
    # More case ids than any segment has documents, and several commits: the paths a
    # worker's small commits take while caseworkers keep searching with the same scope.
    scope = Scope(case_ids=frozenset(range(1000, 1100)), team_ids=frozenset({7}))
    index.index([make_doc(i, "Vorgang", case_id=1000 + i, team_id=None) for i in range(1, 11)])
    index.index([make_doc(i, "Vorgang", case_id=5000 + i, team_id=None) for i in range(11, 16)])
    assert find(index, "Vorgang", scope).total == 10
    assert index.count(scope) == 10

    index.index([make_doc(1, "Vorgang", case_id=5001, team_id=None)])  # moved out
    index.index([make_doc(11, "Vorgang", case_id=1011, team_id=None)])  # moved in
    index.index([make_doc(12, "Vorgang", case_id=5012, team_id=7)])  # its team is in scope
    index.delete([2])
    index.index([make_doc(20, "Vorgang", case_id=None, team_id=None)])

    assert ids(find(index, "Vorgang", scope, limit=50)) == {*range(3, 11), 11, 12}
    assert index.count(scope) == 10
    with_inbox = Scope(case_ids=scope.case_ids, inbox=True)
    assert ids(find(index, "", with_inbox, limit=50)) == {*range(3, 11), 11, 20}
    assert index.count(with_inbox) == 10


def test_everything_scope_sees_all_documents(two_teams: SearchIndex) -> None:
    assert ids(find(two_teams, "Kanarienvogel")) == {1, 3, 4}
    assert two_teams.count(EVERYTHING) == 4


# -- snippets -------------------------------------------------------------------------------


_TAG_RE = re.compile(r"<[^>]*>")


def test_snippets_are_escaped_and_mark_the_matches(index: SearchIndex, make_doc: MakeDoc) -> None:
    text = "Vorher <script>alert(1)</script> & \"Zitat\" 'x' Anträge <b>fett</b> nachher"
    index.index([make_doc(1, text)])

    snippet = find(index, "Antrag").hits[0].snippet

    assert "<mark>Anträge</mark>" in snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet
    assert "&amp;" in snippet
    assert "&lt;b&gt;fett&lt;/b&gt;" in snippet
    assert set(_TAG_RE.findall(snippet)) == {"<mark>", "</mark>"}


def test_a_match_inside_markup_is_marked_but_escaped(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index([make_doc(1, "<script>alert(document.cookie)</script>")])

    snippet = find(index, "script").hits[0].snippet

    assert snippet == (
        "&lt;<mark>script</mark>&gt;alert(document.cookie)&lt;/<mark>script</mark>&gt;"
    )


def test_snippet_shows_the_neighbourhood_of_a_late_match(
    index: SearchIndex, make_doc: MakeDoc
) -> None:
    text = "Einleitung " * 200 + "Hier steht die Niederlassungserlaubnis & mehr. " + "Ende " * 200
    index.index([make_doc(1, text)])

    snippet = find(index, "Niederlassungserlaubnis").hits[0].snippet

    assert "<mark>Niederlassungserlaubnis</mark> &amp; mehr" in snippet
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert len(snippet) < 400


def test_an_aktenzeichen_in_the_text_is_marked_whole(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index([make_doc(1, "Unser Zeichen: MA-1234-2026-00017.")])

    snippet = find(index, "MA-1234-2026-00017").hits[0].snippet

    assert "<mark>MA-1234-2026-00017</mark>" in snippet


# -- query language -------------------------------------------------------------------------


@pytest.fixture
def letters(index: SearchIndex, make_doc: MakeDoc) -> SearchIndex:
    index.index(
        [
            make_doc(1, "Antrag auf Verlängerung der Aufenthaltserlaubnis"),
            make_doc(2, "Ablehnung des Antrags auf Einbürgerung"),
            make_doc(3, "Verlängerung abgelehnt"),
        ]
    )
    return index


def test_all_words_are_required(letters: SearchIndex) -> None:
    assert ids(find(letters, "Antrag Verlängerung")) == {1}
    assert ids(find(letters, "Antrag AND Verlängerung")) == {1}
    assert ids(find(letters, "Antrag UND Verlängerung")) == {1}


def test_or_and_exclusion(letters: SearchIndex) -> None:
    assert ids(find(letters, "Einbürgerung OR Aufenthaltserlaubnis")) == {1, 2}
    assert ids(find(letters, "Einbürgerung ODER Aufenthaltserlaubnis")) == {1, 2}
    assert ids(find(letters, "Antrag -Einbürgerung")) == {1}
    assert ids(find(letters, "Antrag NOT Einbürgerung")) == {1}
    assert ids(find(letters, "-Antrag")) == {3}


def test_phrases_respect_word_order(letters: SearchIndex) -> None:
    assert ids(find(letters, '"Antrag auf Verlängerung"')) == {1}
    assert ids(find(letters, '"Verlängerung auf Antrag"')) == set()
    assert ids(find(letters, '"Antrags auf"')) == {1, 2}  # phrases are stemmed too


def test_prefix_search(letters: SearchIndex) -> None:
    assert ids(find(letters, "Verläng*")) == {1, 3}
    assert ids(find(letters, "Einbürg*")) == {2}


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced',
        '"Antrag',
        "AND",
        "OR",
        "NOT",
        "AND OR",
        "Antrag OR",
        "OR Antrag",
        "NOT NOT",
        "*",
        "**",
        "?",
        "a*",
        "-",
        "--",
        '"',
        '""',
        "()",
        "(Antrag",
        "Antrag)",
        "[1 TO 5]",
        "{a TO b}",
        "Antrag~2",
        "Antrag^3",
        "title:Antrag",
        "\\",
        "\x00",
        "🙂",
        "ÄÖÜẞ",
        "&lt;script&gt;",
        "<mark>",
        "a" * 500,
        " ".join(["Antrag"] * 32),
    ],
)
def test_odd_queries_never_raise(letters: SearchIndex, text: str) -> None:
    result = find(letters, text)

    assert isinstance(result, SearchResult)
    assert result.total >= len(result.hits)


def test_odd_queries_are_read_leniently(letters: SearchIndex) -> None:
    assert ids(find(letters, '"Antrag auf')) == {1, 2}
    assert ids(find(letters, "Antrag OR")) == {1, 2}
    assert ids(find(letters, "(Einbürgerung)")) == {2}
    assert ids(find(letters, "title:Einbürgerung")) == set()  # a phrase, not a field


def test_oversized_queries_are_rejected_with_a_clear_error(letters: SearchIndex) -> None:
    with pytest.raises(InvalidQueryError, match="longer than"):
        find(letters, "Antrag " * 200)
    with pytest.raises(InvalidQueryError, match="words or phrases"):
        find(letters, " ".join(["Antrag"] * 33))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 10_001},
        {"received_from": date(2026, 2, 1), "received_to": date(2026, 1, 1)},
    ],
)
def test_impossible_paging_or_dates_are_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidQueryError):
        SearchQuery("Antrag", EVERYTHING, **kwargs)


def test_invalid_query_error_is_a_search_error() -> None:
    assert issubclass(InvalidQueryError, SearchError)


# -- paging, ranking, empty text ------------------------------------------------------------


def test_pages_are_disjoint_and_the_total_counts_all_matches(
    index: SearchIndex, make_doc: MakeDoc
) -> None:
    index.index([make_doc(i, "Fiktionsbescheinigung " * (1 + i % 4)) for i in range(1, 26)])
    index.index([make_doc(99, "etwas anderes")])

    pages = [find(index, "Fiktionsbescheinigung", limit=10, offset=o) for o in (0, 10, 20, 30)]

    assert [p.total for p in pages] == [25, 25, 25, 25]
    assert [len(p.hits) for p in pages] == [10, 10, 5, 0]
    seen = [hit.document_id for page in pages for hit in page.hits]
    assert sorted(seen) == list(range(1, 26))
    scores = [hit.score for page in pages for hit in page.hits]
    assert scores == sorted(scores, reverse=True)


def test_more_occurrences_rank_higher(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index(
        [
            make_doc(1, "Duldung und sonst nichts weiter hier"),
            make_doc(2, "Duldung Duldung Duldung und nichts"),
        ]
    )

    assert [hit.document_id for hit in find(index, "Duldung").hits] == [2, 1]


def test_empty_text_lists_the_scope_newest_first(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index(
        [
            make_doc(1, "a", team_id=1, doc_type="Pass"),
            make_doc(3, "b", team_id=1, doc_type="Antrag"),
            make_doc(2, "c", team_id=1, doc_type="Pass"),
            make_doc(4, "d", team_id=2, doc_type="Pass"),
        ]
    )
    team_a = Scope(team_ids=frozenset({1}))

    for text in ("", "   ", "*", "AND OR"):
        result = find(index, text, team_a)
        assert [hit.document_id for hit in result.hits] == [3, 2, 1]
        assert result.total == 3
        assert all(hit.score == 0 for hit in result.hits)
    assert [h.document_id for h in find(index, "", team_a, doc_type="Pass").hits] == [2, 1]
    assert [h.document_id for h in find(index, "", team_a, limit=1, offset=1).hits] == [2]


def test_empty_text_snippet_is_the_escaped_start_of_the_text(
    index: SearchIndex, make_doc: MakeDoc
) -> None:
    index.index([make_doc(1, "<i>Betreff</i> & " + "lang " * 200)])

    snippet = find(index, "").hits[0].snippet

    assert snippet.startswith("&lt;i&gt;Betreff&lt;/i&gt; &amp; lang")
    assert "<mark>" not in snippet


# -- rebuild --------------------------------------------------------------------------------


def test_full_rebuild_replaces_the_index_contents(index: SearchIndex, make_doc: MakeDoc) -> None:
    index.index([make_doc(50, "verwaist")])
    seen: list[int] = []

    report = rebuild(
        index, (make_doc(i, "Akte") for i in range(1, 8)), batch_size=3, progress=seen.append
    )

    assert (report.indexed, report.skipped, report.last_document_id) == (7, 0, 7)
    assert seen == [3, 6, 7]
    assert list(index.document_ids()) == list(range(1, 8))
    assert find(index, "verwaist").total == 0


def test_rebuild_resumes_after_the_checkpoint(
    index: SearchIndex, make_doc: MakeDoc, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "reindex.checkpoint"

    def interrupted() -> Iterator[IndexedDocument]:
        for i in range(1, 6):
            yield make_doc(i, "Akte")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(index, interrupted(), batch_size=2, checkpoint=checkpoint)
    assert read_checkpoint(checkpoint) == 4

    index.index([make_doc(1000, "neu vom Worker")])
    report = rebuild(
        index,
        (make_doc(i, "Akte") for i in range(1, 9)),
        batch_size=2,
        resume_after=read_checkpoint(checkpoint),
        checkpoint=checkpoint,
    )

    assert (report.indexed, report.skipped) == (4, 4)
    assert list(index.document_ids()) == [*range(1, 9), 1000]
    assert read_checkpoint(checkpoint) is None


def test_rebuild_refuses_documents_out_of_order(index: SearchIndex, make_doc: MakeDoc) -> None:
    with pytest.raises(RebuildError, match="ascending"):
        rebuild(index, [make_doc(1), make_doc(3), make_doc(2)], batch_size=10)

    assert list(index.document_ids()) == [1, 3]


def test_a_corrupt_checkpoint_is_reported(tmp_path: Path) -> None:
    checkpoint = tmp_path / "reindex.checkpoint"
    checkpoint.write_text("nonsense")

    with pytest.raises(RebuildError, match="unreadable"):
        read_checkpoint(checkpoint)


# -- Whoosh specifics (files, locks, other processes) ---------------------------------------


def test_a_second_whoosh_instance_sees_commits_without_duplicates(
    tmp_path: Path, make_doc: MakeDoc
) -> None:
    writer = WhooshSearchIndex(tmp_path / "ix")
    reader = WhooshSearchIndex(tmp_path / "ix")
    try:
        writer.index([make_doc(1, "Fassung eins"), make_doc(2, "Fassung eins")])
        assert find(reader, "Fassung").total == 2
        writer.index([make_doc(1, "Fassung zwei")])
        writer.delete([2])

        assert ids(find(reader, "Fassung")) == {1}
        assert find(reader, "eins").total == 0
        assert list(reader.document_ids()) == [1]
    finally:
        writer.close()
        reader.close()


def test_a_held_write_lock_times_out_with_a_clear_error(tmp_path: Path, make_doc: MakeDoc) -> None:
    index = WhooshSearchIndex(tmp_path / "ix", lock_timeout=0.2)
    lock = index._ix.lock("WRITELOCK")  # what another writer process would hold
    assert lock.acquire()
    try:
        with pytest.raises(IndexLockedError):
            index.index([make_doc(1, "Text")])
        assert find(index, "Text").total == 0
    finally:
        lock.release()
        index.close()
    reopened = WhooshSearchIndex(tmp_path / "ix")
    reopened.index([make_doc(1, "Text")])
    assert find(reopened, "Text").total == 1
    reopened.close()


def test_an_index_of_another_schema_version_must_be_rebuilt(
    tmp_path: Path, make_doc: MakeDoc
) -> None:
    path = tmp_path / "ix"
    WhooshSearchIndex(path).close()
    (path / "ecase-search-schema").write_text("0\n")

    with pytest.raises(IncompatibleIndexError, match="reindex"):
        WhooshSearchIndex(path)
    index = WhooshSearchIndex(path, reset_incompatible=True)
    index.index([make_doc(1, "Text")])
    assert find(index, "Text").total == 1
    index.close()


def test_a_closed_index_refuses_work(tmp_path: Path) -> None:
    index = WhooshSearchIndex(tmp_path / "ix")
    index.close()

    with pytest.raises(SearchError):
        find(index, "Text")


def test_open_search_index_picks_the_implementation_from_the_url(tmp_path: Path) -> None:
    opened = [
        open_search_index("memory://"),
        open_search_index(f"whoosh://{tmp_path / 'a'}"),
        open_search_index(str(tmp_path / "b")),
    ]
    assert [type(i) for i in opened] == [
        InMemorySearchIndex,
        WhooshSearchIndex,
        WhooshSearchIndex,
    ]
    for i in opened:
        i.close()
    assert (tmp_path / "a").is_dir()
    assert (tmp_path / "b").is_dir()
    for bad in ("", "elastic://host/x", "whoosh://host/x", "whoosh://relative"):
        with pytest.raises(SearchError):
            open_search_index(bad)
