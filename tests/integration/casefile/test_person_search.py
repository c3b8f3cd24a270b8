"""Person search via the API on SQLite and PostgreSQL: spellings, dates, identifiers, duplicates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, text
from werkzeug.test import TestResponse

from ecase.bootstrap import upgrade_database
from ecase.db import make_engine
from ecase.domain.name_matching import person_entries
from tests.conftest import StaffUser


def _json(response: TestResponse) -> Any:
    body = response.get_json()
    assert body is not None, response.status
    return body


def _person(client: FlaskClient, user: StaffUser, family: str, given: str, **extra: Any) -> Any:
    body = {"family_name": family, "given_names": given, "birth_date": None, **extra}
    response = client.post("/api/v1/persons", json=body, headers=user.headers)
    assert response.status_code == 201, response.json
    return _json(response)


def _search(client: FlaskClient, user: StaffUser, q: str, **args: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/persons", query_string={"q": q, **args}, headers=user.headers)
    assert response.status_code == 200, response.json
    return list(_json(response)["persons"])


def _names(found: list[dict[str, Any]]) -> list[str]:
    return [f"{p['family_name']}, {p['given_names']}" for p in found]


def test_variant_spellings_are_found_ranked_with_reasons(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    _person(client, caseworker, "Al-Hassan", "Mohammed")
    _person(client, caseworker, "Alhassan", "Muhammad")
    _person(client, caseworker, "El Hassan", "Mohamad", aliases=["Abu Ali"])
    _person(client, caseworker, "Hassan", "Omar")
    _person(client, caseworker, "Schmidt", "Anna")

    found = _search(client, caseworker, "Muhammad Al-Hassan")

    assert _names(found) == [
        "Alhassan, Muhammad",
        "Al-Hassan, Mohammed",
        "El Hassan, Mohamad",
        "Hassan, Omar",
    ]
    scores = [p["score"] for p in found]
    assert scores == sorted(scores, reverse=True)
    assert 0 < scores[-1] < scores[0] <= 1
    assert found[0]["reasons"] == ["Name: Muhammad", "Name (Schreibweise): Al-Hassan ≈ Alhassan"]
    assert "Name (phonetisch): Muhammad ≈ Mohammed" in found[1]["reasons"]
    assert found[2]["aliases"] == [{"name": "Abu Ali", "kind": "variant"}]


def test_transliterations_and_umlaut_transcriptions_find_each_other(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    _person(client, caseworker, "Schewtschenko", "Olexandr")
    _person(client, caseworker, "Müller", "Jürgen")
    _person(client, caseworker, "Hüseyin", "Yusuf")

    assert _names(_search(client, caseworker, "Shevchenko Oleksandr")) == [
        "Schewtschenko, Olexandr"
    ]
    assert _names(_search(client, caseworker, "MUELLER")) == ["Müller, Jürgen"]
    assert _names(_search(client, caseworker, "Jussuf Husayn")) == ["Hüseyin, Yusuf"]
    assert _names(_search(client, caseworker, "schew")) == ["Schewtschenko, Olexandr"]
    assert _search(client, caseworker, "Omar") == []


def test_birth_date_narrows_and_ranks_exact_dates_first(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    exact = _person(client, caseworker, "Haddad", "Rami", birth_date="1990-03-04")
    swapped = _person(client, caseworker, "Haddad", "Rami", birth_date="1990-04-03")
    unknown = _person(client, caseworker, "Haddad", "Rami")
    _person(client, caseworker, "Haddad", "Rami", birth_date="1985-03-04")

    found = _search(client, caseworker, "Haddad 04.03.1990")

    assert [p["id"] for p in found] == [exact["id"], swapped["id"], unknown["id"]]
    assert "Geburtsdatum: 04.03.1990" in found[0]["reasons"]
    assert "Geburtsdatum (Tag und Monat vertauscht): 03.04.1990" in found[1]["reasons"]
    assert "Geburtsdatum nicht erfasst" in found[2]["reasons"]
    by_date_only = _search(client, caseworker, "1990-03-04")
    assert [p["id"] for p in by_date_only] == [exact["id"], swapped["id"]]
    by_year = _search(client, caseworker, "Rami Haddad 1985")
    assert [p["birth_date"] for p in by_year] == ["1985-03-04", None]


def test_azr_number_finds_exactly_one_person(client: FlaskClient, caseworker: StaffUser) -> None:
    wanted = _person(client, caseworker, "Nowak", "Jan", azr_number="123456789012")
    _person(client, caseworker, "Nowak", "Jana", azr_number="123456789013")

    found = _search(client, caseworker, "123456789012")

    assert [p["id"] for p in found] == [wanted["id"]]
    assert found[0]["reasons"] == ["AZR-Nummer: 123456789012"]
    assert found[0]["score"] == 1.0
    assert _search(client, caseworker, "999999999999") == []


def test_aktenzeichen_finds_the_person_only_for_readers_of_the_file(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    person = _person(client, caseworker, "Bondarenko", "Iryna")
    case = _json(
        client.post(
            "/api/v1/cases",
            json={"person_id": person["id"], "subject": "Aufenthaltserlaubnis"},
            headers=caseworker.headers,
        )
    )
    other_team = make_user("caseworker", ("Team B",))

    found = _search(client, caseworker, case["reference"].lower())

    assert [p["id"] for p in found] == [person["id"]]
    assert found[0]["reasons"] == [f"Aktenzeichen: {case['reference']}"]
    hidden = client.get(
        "/api/v1/persons", query_string={"q": case["reference"]}, headers=other_team.headers
    )
    absent = client.get(
        "/api/v1/persons", query_string={"q": "MA-1234-1999-99999"}, headers=other_team.headers
    )
    assert hidden.status_code == absent.status_code == 200
    assert hidden.json == absent.json == {"persons": []}


def test_possible_duplicates_are_flagged_on_create_and_in_results(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    first = _person(client, caseworker, "Al-Hassan", "Mohammed", birth_date="1990-03-04")
    assert first["possible_duplicates"] == []
    second = _person(client, caseworker, "Alhassan", "Muhammad", birth_date="1990-03-04")
    other_day = _person(client, caseworker, "Al-Hassan", "Mohammed", birth_date="1991-03-04")
    other_name = _person(client, caseworker, "Al-Hassan", "Fatima", birth_date="1990-03-04")

    assert second["possible_duplicates"] == [first["id"]]
    assert other_day["possible_duplicates"] == []
    assert other_name["possible_duplicates"] == []
    flags = {p["id"]: p["possible_duplicate_of"] for p in _search(client, caseworker, "Al-Hassan")}
    assert flags == {
        first["id"]: [second["id"]],
        second["id"]: [first["id"]],
        other_day["id"]: [],
        other_name["id"]: [],
    }


def test_search_is_audited_with_query_and_hit_count(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    _person(client, caseworker, "Haddad", "Rami")
    _search(client, caseworker, "Hadad")
    auditor = make_user("auditor", ())
    events = _json(client.get("/api/v1/audit?action=person.search", headers=auditor.headers))[
        "events"
    ]
    assert [(e["user"], e["outcome"], e["reason"]) for e in events] == [
        ("anna", "allowed", "query 'Hadad': 1 hits")
    ]


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_get_404_from_the_search(
    client: FlaskClient, caseworker: StaffUser, make_user: Callable[..., StaffUser], role: str
) -> None:
    _person(client, caseworker, "Haddad", "Rami", azr_number="123456789012")
    other = make_user(role, ())
    for query in ("Haddad", "123456789012"):
        response = client.get("/api/v1/persons", query_string={"q": query}, headers=other.headers)
        assert response.status_code == 404
        assert "Haddad" not in response.get_data(as_text=True)
        assert "persons" not in _json(response)


def test_bad_queries_get_a_reason_not_a_500(client: FlaskClient, caseworker: StaffUser) -> None:
    for query, message in (("Haddad 31.02.1990", "not a valid date"), (" -- ", "Please enter")):
        response = client.get(
            "/api/v1/persons", query_string={"q": query}, headers=caseworker.headers
        )
        assert response.status_code == 400, query
        assert message in _json(response)["message"]
    assert _search(client, caseworker, "x") == []


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def _count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", _count)
    yield seen
    event.remove(engine, "before_cursor_execute", _count)


def test_query_count_does_not_grow_with_the_hits(
    client: FlaskClient, caseworker: StaffUser, statements: list[str]
) -> None:
    spellings = ["Mohammed", "Muhammad", "Mohamad", "Mohamed", "Muhammed", "Mohammad"]
    for given in spellings:
        _person(client, caseworker, "Karimi", given, birth_date="1990-03-04", aliases=["Abu X"])
    _person(client, caseworker, "Rahimi", "Sara", birth_date="1991-01-01")

    statements.clear()
    one = _search(client, caseworker, "Rahimi")
    for_one = len(statements)
    statements.clear()
    many = _search(client, caseworker, "Mohammed Karimi")
    for_many = len(statements)

    assert (len(one), len(many)) == (1, len(spellings))
    assert for_many == for_one


def test_upgrade_fills_the_keys_of_persons_registered_before(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade_database(url, "0005")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO persons (id, family_name, given_names, search_key, created_at, "
                "updated_at) VALUES (7, 'Al-Hassan', 'Mohammed', 'al hassan mohammed', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO person_aliases (person_id, name, kind, search_key) "
                "VALUES (7, 'Abu Bakr', 'variant', 'abu bakr')"
            )
        )
    upgrade_database(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT person_id, key, form FROM person_name_keys")).all()
    engine.dispose()
    expected = person_entries("Al-Hassan", "Mohammed", ["Abu Bakr"])
    assert sorted((key, form) for _pid, key, form in rows) == expected
    assert {pid for pid, _key, _form in rows} == {7}
    assert ("0BKR", "abubakr") in expected
