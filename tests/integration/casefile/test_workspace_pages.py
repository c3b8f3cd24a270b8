"""The caseworker's pages: start page per role, person search, case view, notes, edits, search.

Pages are requested in English (``?lang=en`` after login) so the assertions do not depend on
the German catalogue, which is translated separately.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from ecase.models import AuditEvent, CaseFile, Document, RecentCaseView, User
from ecase.services.access import break_glass
from ecase.services.casefile import cases, documents, persons
from ecase.services.context import Context
from ecase.services.intake import pipeline
from ecase.web.casefile import cases as case_pages
from tests.conftest import TEST_PASSWORD, StaffUser
from tests.support.fakes import ScriptedExtractor
from tests.support.files import minimal_pdf
from tests.support.web import csrf, login

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@dataclass(frozen=True)
class File:
    person: int
    case: int
    reference: str
    docs: tuple[int, ...]


@pytest.fixture
def make_file(ctx: Context, extractor: ScriptedExtractor) -> Callable[..., File]:
    """A person with a case file of the owner's team and processed documents."""

    def _make(  # noqa: PLR0917  # a factory fixture: the person's names read best positionally
        owner: StaffUser,
        family: str = "Haddad",
        given: str = "Mohammed",
        birth: date | None = date(1990, 3, 4),
        docs: Sequence[tuple[str, str, str]] = (("Bescheid", "Bescheid", "Text"),),
        received: date | None = None,
    ) -> File:
        person = persons.create_person(
            ctx, owner.actor, persons.NewPerson(family, given, birth_date=birth)
        )
        case = cases.create_case(ctx, owner.actor, cases.NewCase(person.id, "Aufenthalt"))
        ids = []
        for title, doc_type, text in docs:
            upload = documents.Upload(
                stream=io.BytesIO(minimal_pdf()),
                filename="scan.pdf",
                title=title,
                doc_type=doc_type,
                received_on=received,
            )
            doc = documents.add_document(ctx, owner.actor, case.id, upload)
            extractor.pages = (text,)
            assert pipeline.process_document(ctx, doc.id).status == "ready"
            ids.append(doc.id)
        return File(person.id, case.id, case.reference, tuple(ids))

    return _make


def _login_en(client: FlaskClient, user: StaffUser) -> None:
    login(client, user)
    client.get("/?lang=en")


def _html(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _post(client: FlaskClient, url: str, data: dict[str, str], page: str) -> tuple[int, str, str]:
    token = csrf(client.get(page).get_data(as_text=True))
    response = client.post(url, data={**data, "csrf_token": token})
    return (
        response.status_code,
        response.headers.get("Location", ""),
        response.get_data(as_text=True),
    )


def _events(ctx: Context, action: str) -> list[AuditEvent]:
    with ctx.uow() as uow:
        return list(
            uow.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars()
        )


# ---------------------------------------------------------------------------- start page


def test_caseworker_start_page_shows_team_files_recent_files_and_new_documents(
    ctx: Context,
    client: FlaskClient,
    make_user: Callable[..., StaffUser],
    make_file: Callable[..., File],
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    old = make_file(anna, "Haddad", docs=[("Altbescheid", "Bescheid", "alt")])
    new = make_file(anna, "Petrenko", "Olena", docs=[("Neuer Pass", "Pass", "neu")])
    other = make_file(make_user("caseworker", ("Team B",)), "Fremd", docs=[])
    _login_en(client, anna)
    since = datetime.now(UTC) - timedelta(hours=1)
    with ctx.uow() as uow:
        uow.session.execute(
            update(User).where(User.id == anna.actor.user_id).values(previous_login_at=since)
        )
        uow.session.execute(
            update(Document)
            .where(Document.id == old.docs[0])
            .values(ready_at=since - timedelta(days=1))
        )
        uow.commit()

    client.get(f"/cases/{old.case}")
    html = _html(client, "/")
    team = html.split('id="files-h"')[1]
    assert new.reference in team
    assert old.reference in team
    assert other.reference not in html
    recent = html.split('id="recent-h"')[1].split('id="files-h"')[0]
    assert old.reference in recent
    assert new.reference not in recent
    ready = html.split('id="ready-h"')[1].split('id="recent-h"')[0]
    assert "Neuer Pass" in ready
    assert "Altbescheid" not in ready
    assert f'href="/documents/{new.docs[0]}"' in ready
    assert "Posteingang" not in html


def test_first_visit_explains_that_new_documents_come_next_time(
    client: FlaskClient, make_user: Callable[..., StaffUser], make_file: Callable[..., File]
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    make_file(anna)
    _login_en(client, anna)
    assert "This is your first visit" in _html(client, "/")


def test_clerk_start_page_leads_with_the_inbox_count(
    ctx: Context, client: FlaskClient, make_user: Callable[..., StaffUser]
) -> None:
    clerk = make_user("clerk", ("Posteingang",), name="clara")
    for _ in range(3):
        upload = documents.Upload(stream=io.BytesIO(minimal_pdf()), filename="post.pdf")
        documents.add_document(ctx, clerk.actor, None, upload)
    _login_en(client, clerk)
    html = _html(client, "/")
    inbox = html.split('id="inbox-h"')[1].split("</section>")[0]
    assert "3 documents wait to be filed." in inbox
    assert html.index('id="inbox-h"') < html.index('id="files-h"')
    assert 'href="/inbox"' in inbox


def test_supervisor_sees_oversight_links_and_the_team_files(
    client: FlaskClient, make_user: Callable[..., StaffUser], make_file: Callable[..., File]
) -> None:
    file = make_file(make_user("caseworker", ("Team A",)))
    _login_en(client, make_user("supervisor", ("Team A",), name="sina"))
    html = _html(client, "/")
    assert 'href="/break-glass"' in html
    assert 'href="/audit"' in html
    assert file.reference in html


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditor_and_admin_start_pages_show_no_case_data(
    client: FlaskClient,
    make_user: Callable[..., StaffUser],
    make_file: Callable[..., File],
    role: str,
) -> None:
    file = make_file(make_user("caseworker", ("Team A",)))
    _login_en(client, make_user(role, ("Team A",)))
    html = _html(client, "/")
    assert file.reference not in html
    assert "Haddad" not in html
    assert "Your role reads no case files" in html
    assert 'href="/persons"' not in html


# ---------------------------------------------------------------------------- persons


def test_person_search_finds_a_variant_spelling_with_the_reason_and_the_files(
    client: FlaskClient, make_user: Callable[..., StaffUser], make_file: Callable[..., File]
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    own = make_file(anna, "Haddad", "Mohammed")
    foreign = make_file(make_user("caseworker", ("Team B",)), "Haddad", "Mohammed", birth=None)
    _login_en(client, anna)
    html = _html(client, "/persons?q=Muhammad+Hadad")
    assert "Haddad, Mohammed" in html
    assert "≈" in html  # the reason names the variant it matched
    assert f'href="/cases/{own.case}"' in html
    assert foreign.reference not in html  # the other team's file is not even named
    person_page = _html(client, f"/persons/{own.person}")
    assert own.reference in person_page
    assert foreign.reference not in _html(client, f"/persons/{foreign.person}")


def test_person_search_flags_possible_duplicates(
    client: FlaskClient, make_user: Callable[..., StaffUser], make_file: Callable[..., File]
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    first = make_file(anna, "Haddad", "Mohammed", docs=[])
    second = make_file(anna, "Hadad", "Muhammad", docs=[])
    _login_en(client, anna)
    html = _html(client, "/persons?q=Haddad+04.03.1990")
    assert html.count("Possible duplicate of") == 2
    assert f'href="/persons/{first.person}">#{first.person}' in html
    assert f'href="/persons/{second.person}">#{second.person}' in html


def test_person_search_without_anything_to_search_says_what_to_enter(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    _login_en(client, caseworker)
    html = _html(client, "/persons?q=%3F%3F%3F", status=400)
    assert 'class="field-error"' in html
    assert 'aria-invalid="true"' in html


# ---------------------------------------------------------------------------- case view


def test_case_view_toggles_between_date_and_type_order_without_script(
    client: FlaskClient, make_user: Callable[..., StaffUser], make_file: Callable[..., File]
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    file = make_file(
        anna,
        docs=[("Antrag", "Antrag", "a"), ("Pass", "Pass", "b"), ("Zweitantrag", "Antrag", "c")],
    )
    _login_en(client, anna)
    by_date = _html(client, f"/cases/{file.case}")
    titles = re.findall(r'<td><a href="/documents/\d+">([^<]+)</a></td>', by_date)
    assert titles == ["Zweitantrag", "Pass", "Antrag"]  # newest first
    assert 'aria-current="true">By date' in by_date
    by_type = _html(client, f"/cases/{file.case}?order=type")
    assert re.findall(r'<th scope="rowgroup" colspan="6">([^<]+)</th>', by_type) == [
        "Antrag (2)",
        "Pass (1)",
    ]
    titles = re.findall(r'<td><a href="/documents/\d+">([^<]+)</a></td>', by_type)
    assert titles == ["Antrag", "Zweitantrag", "Pass"]
    assert 'aria-current="true">By document type' in by_type
    assert _html(client, f"/cases/{file.case}?order=nonsense").count("rowgroup") == 0
    assert f'href="/search?case={file.case}' in by_date or f'value="{file.case}"' in by_date
    assert f"/sheets.pdf?case={file.case}" in by_date


def test_opening_a_file_twice_keeps_one_recent_view_row(
    ctx: Context,
    client: FlaskClient,
    make_user: Callable[..., StaffUser],
    make_file: Callable[..., File],
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    file = make_file(anna, docs=[])
    _login_en(client, anna)
    client.get(f"/cases/{file.case}")
    client.get(f"/cases/{file.case}")
    with ctx.uow() as uow:
        rows = uow.session.execute(
            select(func.count())
            .select_from(RecentCaseView)
            .where(RecentCaseView.user_id == anna.actor.user_id)
        ).scalar_one()
    assert rows == 1


# ---------------------------------------------------------------------------- notes


def test_notes_are_added_listed_newest_first_and_stay_escaped(
    ctx: Context,
    client: FlaskClient,
    make_user: Callable[..., StaffUser],
    make_file: Callable[..., File],
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    file = make_file(anna, docs=[])
    _login_en(client, anna)
    page = f"/cases/{file.case}"
    for body in ("Erster Vermerk", XSS):
        status, location, _ = _post(client, f"/cases/{file.case}/notes", {"body": body}, page)
        assert status == 302
        assert location.endswith(f"/cases/{file.case}#notes")
    html = _html(client, page)
    notes = html.split('id="notes-h"')[1]
    assert notes.index("&lt;script&gt;") < notes.index("Erster Vermerk")
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "anna" in notes
    assert len(_events(ctx, "note.add")) == 2


def test_an_empty_note_is_refused_next_to_the_field(
    client: FlaskClient, make_user: Callable[..., StaffUser], make_file: Callable[..., File]
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    file = make_file(anna, docs=[])
    _login_en(client, anna)
    status, _, html = _post(
        client, f"/cases/{file.case}/notes", {"body": "   "}, f"/cases/{file.case}"
    )
    assert status == 400
    assert 'id="note-error"' in html
    assert 'aria-describedby="note-error"' in html
    assert "A note needs some text." in html


def test_notes_api_policy_clerks_do_not_read_and_break_glass_only_reads(
    ctx: Context,
    client: FlaskClient,
    make_user: Callable[..., StaffUser],
    make_file: Callable[..., File],
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    file = make_file(anna, docs=[])
    url = f"/api/v1/cases/{file.case}/notes"
    added = client.post(url, json={"body": "Vorsprache am 3.5."}, headers=anna.headers)
    assert added.status_code == 201
    assert added.json["author"] == "anna"
    assert client.post(url, json={"body": ""}, headers=anna.headers).status_code == 422
    listed = client.get(url, headers=anna.headers).json["notes"]
    assert [n["body"] for n in listed] == ["Vorsprache am 3.5."]

    clerk = make_user("clerk", ("Team A",))
    with ctx.uow() as uow:
        uow.session.execute(
            update(CaseFile).where(CaseFile.id == file.case).values(assignee_id=clerk.actor.user_id)
        )
        uow.commit()
    assert client.get(f"/api/v1/cases/{file.case}", headers=clerk.headers).status_code == 200
    assert client.get(url, headers=clerk.headers).status_code == 404

    bob = make_user("caseworker", ("Team B",), name="bob")
    reason = "Die Person steht am Schalter, die zuständige Kollegin ist heute krank."
    break_glass.open_break_glass(ctx, bob.actor, file.case, reason, TEST_PASSWORD)
    assert client.get(url, headers=bob.headers).status_code == 200
    assert client.post(url, json={"body": "x"}, headers=bob.headers).status_code == 404


# ---------------------------------------------------------------------------- metadata


def test_case_metadata_is_edited_with_errors_next_to_the_fields(
    ctx: Context,
    client: FlaskClient,
    make_user: Callable[..., StaffUser],
    make_file: Callable[..., File],
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    make_user("caseworker", ("Team A",), name="ben")
    make_user("caseworker", ("Team B",), name="bob")
    file = make_file(anna, docs=[])
    _login_en(client, anna)
    page, url = f"/cases/{file.case}", f"/cases/{file.case}/edit"

    status, _, html = _post(client, url, {"subject": "", "assignee": ""}, page)
    assert status == 400
    assert 'id="subject-error"' in html
    status, _, html = _post(client, url, {"subject": "Neu", "assignee": "bob"}, page)
    assert status == 400
    assert 'id="assignee-error"' in html
    assert "does not work in the file&#39;s team" in html

    status, _, _ = _post(client, url, {"subject": f"Einbürgerung {XSS}", "assignee": "ben"}, page)
    assert status == 302
    html = _html(client, page)
    assert "Einbürgerung &lt;script&gt;" in html
    assert '<option selected value="ben">' in html
    assert [e.reason for e in _events(ctx, "case.update")] == ["subject, assignee"]

    patched = client.patch(
        f"/api/v1/cases/{file.case}", json={"assignee": None}, headers=anna.headers
    )
    assert patched.status_code == 200
    assert (
        client.patch(
            f"/api/v1/cases/{file.case}", json={"subject": " "}, headers=anna.headers
        ).json["field"]
        == "subject"
    )


def test_document_metadata_is_edited_and_reindexed(
    ctx: Context,
    client: FlaskClient,
    dispatched: list[int],
    make_user: Callable[..., StaffUser],
    make_file: Callable[..., File],
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    file = make_file(anna)
    doc = file.docs[0]
    _login_en(client, anna)
    url = f"/documents/{doc}/edit"
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    status, _, html = _post(
        client, url, {"title": "Bescheid", "doc_type": "", "received_on": tomorrow}, url
    )
    assert status == 400
    assert 'id="received_on-error"' in html
    status, _, html = _post(
        client, url, {"title": "Bescheid", "doc_type": "", "received_on": "gestern"}, url
    )
    assert status == 400
    assert 'id="received_on-error"' in html

    dispatched.clear()
    status, location, _ = _post(
        client,
        url,
        {"title": "Ablehnungsbescheid", "doc_type": "Bescheid", "received_on": "2024-05-02"},
        url,
    )
    assert status == 302
    assert location.endswith(f"/cases/{file.case}")
    assert dispatched == [doc]
    pipeline.process_document(ctx, doc)
    api = client.get(f"/api/v1/documents/{doc}", headers=anna.headers).json
    assert (api["title"], api["received_on"], api["status"]) == (
        "Ablehnungsbescheid",
        "2024-05-02",
        "ready",
    )
    hits = client.get("/api/v1/search?q=Ablehnungsbescheid", headers=anna.headers).json
    assert [h["document_id"] for h in hits["hits"]] == [doc]
    refused = client.patch(
        f"/api/v1/documents/{doc}", json={"title": "x" * 301}, headers=anna.headers
    )
    assert refused.status_code == 422


# ---------------------------------------------------------------------------- search


def test_search_page_filters_pages_and_links_hits_to_the_viewer(
    client: FlaskClient, make_user: Callable[..., StaffUser], make_file: Callable[..., File]
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    make_file(
        anna,
        docs=[(f"Nachweis {i}", "Nachweis", f"Mietvertrag Seite {i}") for i in range(23)],
        received=date(2024, 1, 10),
    )
    other = make_file(
        anna,
        "Petrenko",
        docs=[("Vertrag", "Vertrag", f"Mietvertrag {XSS}")],
        given="Olena",
        received=date(2025, 6, 1),
    )
    _login_en(client, anna)

    first = _html(client, "/search?q=Mietvertrag")
    assert "24 documents found" in first
    assert first.count('class="snippet"') == 20
    assert "<mark>Mietvertrag</mark>" in first
    assert "<script>alert" not in first
    assert re.search(r'href="/documents/\d+\?q=Mietvertrag"', first)
    assert "Page 1 of 2" in first
    second = _html(client, "/search?q=Mietvertrag&page=2")
    assert second.count('class="snippet"') == 4
    assert 'rel="prev"' in second

    by_case = _html(client, f"/search?q=Mietvertrag&case={other.case}")
    assert "1 document found" in by_case
    assert f'<a href="/cases/{other.case}">{other.reference}</a> · Petrenko' in by_case
    by_type = _html(client, "/search?q=Mietvertrag&doc_type=Vertrag")
    assert "1 document found" in by_type
    by_date = _html(client, "/search?q=Mietvertrag&received_from=2024-01-01&received_to=2024-12-31")
    assert "23 documents found" in by_date

    bad = _html(client, "/search?q=Mietvertrag&received_from=morgen", status=400)
    assert 'id="received_from-error"' in bad
    bad = _html(
        client, "/search?q=Mietvertrag&received_from=2025-01-01&received_to=2024-01-01", status=400
    )
    assert 'id="received_to-error"' in bad
    assert 'id="page-error"' in _html(client, "/search?q=x&page=0", status=400)
    empty = _html(client, "/search")  # no query: the form, no search and no error
    assert 'id="hits-h"' not in empty
    assert "field-error" not in empty


# ---------------------------------------------------------------------------- other teams


def test_another_teams_file_answers_404_everywhere(
    client: FlaskClient, make_user: Callable[..., StaffUser], make_file: Callable[..., File]
) -> None:
    file = make_file(make_user("caseworker", ("Team A",)))
    bob = make_user("caseworker", ("Team B",), name="bob")
    _login_en(client, bob)
    for url in (
        f"/cases/{file.case}",
        f"/documents/{file.docs[0]}/edit",
        f"/search?q=Text&case={file.case}",
    ):
        assert client.get(url).status_code == 404, url
    token = csrf(client.get("/").get_data(as_text=True))
    for url, data in (
        (f"/cases/{file.case}/notes", {"body": "x"}),
        (f"/cases/{file.case}/edit", {"subject": "x"}),
        (f"/documents/{file.docs[0]}/edit", {"title": "x", "received_on": "2024-01-01"}),
    ):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    for method, url, body in (
        ("GET", f"/api/v1/cases/{file.case}/notes", None),
        ("POST", f"/api/v1/cases/{file.case}/notes", {"body": "x"}),
        ("PATCH", f"/api/v1/cases/{file.case}", {"subject": "x"}),
        ("PATCH", f"/api/v1/documents/{file.docs[0]}", {"title": "x"}),
    ):
        response = client.open(url, method=method, json=body, headers=bob.headers)
        assert response.status_code == 404, url


def test_posteingang_documents_are_edited_by_clerks_not_by_caseworkers(
    ctx: Context, client: FlaskClient, make_user: Callable[..., StaffUser]
) -> None:
    clerk = make_user("clerk", ("Posteingang",), name="clara")
    caseworker = make_user("caseworker", ("Team A",), name="anna")
    upload = documents.Upload(stream=io.BytesIO(minimal_pdf()), filename="post.pdf")
    doc = documents.add_document(ctx, clerk.actor, None, upload)
    url = f"/api/v1/documents/{doc.id}"
    assert (
        client.patch(url, json={"title": "Schreiben"}, headers=caseworker.headers).status_code
        == 404
    )
    edited = client.patch(
        url, json={"title": "Schreiben", "doc_type": "Post"}, headers=clerk.headers
    )
    assert edited.status_code == 200
    assert (edited.json["title"], edited.json["doc_type"]) == ("Schreiben", "Post")
    assert client.patch(url, json={}, headers=clerk.headers).status_code == 400


def test_a_large_file_opens_with_its_newest_documents_and_shows_all_on_request(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, make_file: Callable[..., File]
) -> None:
    case_id = make_file(caseworker, docs=()).case
    for number in range(case_pages.DOCUMENTS_SHOWN + 5):
        upload = documents.Upload(
            stream=io.BytesIO(minimal_pdf()), filename="brief.pdf", title=f"Brief Nummer {number}"
        )
        documents.add_document(ctx, caseworker.actor, case_id, upload)
    _login_en(client, caseworker)
    first = _html(client, f"/cases/{case_id}")
    assert f"({case_pages.DOCUMENTS_SHOWN + 5})" in first
    assert (
        f"Showing the newest {case_pages.DOCUMENTS_SHOWN} of {case_pages.DOCUMENTS_SHOWN + 5}"
        in first
    )
    assert f"Brief Nummer {case_pages.DOCUMENTS_SHOWN + 4}<" in first
    assert "Brief Nummer 0<" not in first
    everything = _html(client, f"/cases/{case_id}?order=type&all=1")
    assert "Brief Nummer 0<" in everything
    assert "Showing the newest" not in everything
