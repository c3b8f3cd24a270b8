"""The workspace pages issue a fixed number of SQL statements, however many rows they show.

A page that runs one query per document is fast with five documents and slow with five
hundred over a VPN; counting statements (not timing them) catches that on any machine.
Every page is requested once before it is counted, so one-off work (the session's
``last_seen_at``, a first login's bookkeeping) is not part of the comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, event, update

from ecase.domain.enums import DocumentSource, DocumentStatus
from ecase.models import Document, DocumentVersion, User
from ecase.services.casefile import cases, notes, persons
from ecase.services.context import Context
from tests.conftest import StaffUser
from tests.support.web import login


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def _count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def statements_for(client: FlaskClient, engine: Engine, url: str) -> int:
    assert client.get(url).status_code == 200  # warm-up: see the module docstring
    with counted(engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return len(statements)


def _case(ctx: Context, owner: StaffUser, family: str, birth: date | None = None) -> int:
    person = persons.create_person(
        ctx, owner.actor, persons.NewPerson(family, "Amir", birth_date=birth)
    )
    return cases.create_case(ctx, owner.actor, cases.NewCase(person.id, "Aufenthalt")).id


def _documents(ctx: Context, case_id: int, count: int, ready_at: datetime) -> None:
    """Processed documents written directly: the subject here is reading them, not ingest."""
    with ctx.uow() as uow:
        for i in range(count):
            uow.session.add(
                Document(
                    case_id=case_id,
                    title=f"Dokument {i}",
                    doc_type=("Antrag", "Pass", "Bescheid", "")[i % 4],
                    received_on=date(2024, 1, 1) + timedelta(days=i),
                    source=DocumentSource.SCAN,
                    status=DocumentStatus.READY,
                    step="done",
                    page_count=1 + i % 7,
                    ready_at=ready_at,
                    versions=[
                        DocumentVersion(
                            number=1,
                            sha256=f"{i:064x}",
                            size=100,
                            media_type="application/pdf",
                            original_filename=f"d{i}.pdf",
                        )
                    ],
                )
            )
        uow.commit()


def test_case_view_needs_as_many_statements_for_200_documents_as_for_5(
    ctx: Context,
    engine: Engine,
    client: FlaskClient,
    make_user: Callable[..., StaffUser],
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    now = datetime.now(UTC)
    small, large = _case(ctx, anna, "Klein"), _case(ctx, anna, "Gross")
    _documents(ctx, small, 5, now)
    _documents(ctx, large, 200, now)
    for case_id, count in ((small, 2), (large, 30)):
        for i in range(count):
            notes.add_note(ctx, anna.actor, case_id, f"Vermerk {i}")
    login(client, anna)
    few = statements_for(client, engine, f"/cases/{small}")
    many = statements_for(client, engine, f"/cases/{large}")
    assert many == few, (few, many)
    assert few > 5  # the listener sees the page's statements at all
    assert statements_for(client, engine, f"/cases/{large}?order=type") == few


def test_start_page_needs_the_same_statements_for_one_file_and_for_twenty(
    ctx: Context,
    engine: Engine,
    client: FlaskClient,
    make_user: Callable[..., StaffUser],
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    login(client, anna)
    since = datetime.now(UTC) - timedelta(hours=2)
    with ctx.uow() as uow:
        uow.session.execute(
            update(User).where(User.id == anna.actor.user_id).values(previous_login_at=since)
        )
        uow.commit()
    first = _case(ctx, anna, "Erster")
    _documents(ctx, first, 1, since + timedelta(minutes=1))
    client.get(f"/cases/{first}")
    one = statements_for(client, engine, "/")

    for i in range(19):
        case_id = _case(ctx, anna, f"Weitere{i}")
        _documents(ctx, case_id, 2, since + timedelta(minutes=2))
        client.get(f"/cases/{case_id}")
    twenty = statements_for(client, engine, "/")
    assert twenty == one


def test_person_search_page_needs_the_same_statements_for_one_hit_and_for_twelve(
    ctx: Context,
    engine: Engine,
    client: FlaskClient,
    make_user: Callable[..., StaffUser],
) -> None:
    anna = make_user("caseworker", ("Team A",), name="anna")
    _case(ctx, anna, "Einzelgaenger", date(1980, 1, 1))
    for _ in range(12):
        # Same name and birth date: every hit is also flagged as a possible duplicate.
        _case(ctx, anna, "Haddad", date(1990, 3, 4))
    login(client, anna)
    one = statements_for(client, engine, "/persons?q=Einzelgaenger")
    twelve = statements_for(client, engine, "/persons?q=Haddad")
    assert twelve == one
