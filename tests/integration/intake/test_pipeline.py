"""The ingest pipeline's bookkeeping on real databases: ready exactly once, failures kept apart.

OCR and the index are fakes here (their own suites test them for real); what is under test is
that steps are idempotent, outages retry then fail with a reason, and nothing is lost.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from ecase.models import DerivedFile, Document, DocumentPage
from ecase.services.context import Context
from ecase.services.intake import leases, pipeline
from ocr import EncryptedDocumentError
from search import Scope, SearchQuery
from search.memory import InMemorySearchIndex
from storage.memory import InMemoryBlobStore
from tests.conftest import StaffUser
from tests.support.fakes import ScriptedExtractor
from tests.support.files import minimal_pdf


def _new_document(client: FlaskClient, user: StaffUser, text: str = "Antrag") -> tuple[int, int]:
    person = client.post(
        "/api/v1/persons",
        json={"family_name": "Petrenko", "given_names": "Olena", "birth_date": None},
        headers=user.headers,
    ).json
    case = client.post(
        "/api/v1/cases", json={"person_id": person["id"], "subject": "Visum"}, headers=user.headers
    ).json
    upload = client.post(
        f"/api/v1/cases/{case['id']}/documents",
        data={"file": (io.BytesIO(minimal_pdf(text)), "a.pdf"), "title": "Antrag"},
        headers=user.headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 202
    return int(case["id"]), int(upload.json["id"])


def _count(ctx: Context, model: type, **where: object) -> int:
    with ctx.uow() as uow:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(uow.session.execute(query).scalar_one())


def test_document_becomes_ready_with_pages_text_and_index_entry(
    ctx: Context,
    client: FlaskClient,
    caseworker: StaffUser,
    extractor: ScriptedExtractor,
    index: InMemorySearchIndex,
) -> None:
    extractor.pages = ("Antrag auf Aufenthaltserlaubnis", "Anlage Mietvertrag")
    case_id, doc_id = _new_document(client, caseworker)
    outcome = pipeline.process_document(ctx, doc_id)
    assert outcome.status == "ready"

    meta = client.get(f"/api/v1/documents/{doc_id}", headers=caseworker.headers).json
    assert meta["status"] == "ready"
    assert meta["page_count"] == 2
    text = client.get(f"/api/v1/documents/{doc_id}/text", headers=caseworker.headers).json
    assert [p["number"] for p in text["pages"]] == [1, 2]
    assert "Mietvertrag" in text["text"]
    assert _count(ctx, DerivedFile, kind="searchable_pdf") == 1

    hits = index.search(SearchQuery("Mietvertrag", scope=Scope.unrestricted()))
    assert [h.document_id for h in hits.hits] == [doc_id]
    found = client.get("/api/v1/search?q=Mietvertrag", headers=caseworker.headers).json
    assert [(h["document_id"], h["case_id"]) for h in found["hits"]] == [(doc_id, case_id)]
    assert "<mark>" in found["hits"][0]["snippet"]


def test_running_twice_leaves_one_set_of_pages_and_derived_files(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, extractor: ScriptedExtractor
) -> None:
    _, doc_id = _new_document(client, caseworker)
    assert pipeline.process_document(ctx, doc_id).status == "ready"
    assert pipeline.process_document(ctx, doc_id).status == "skipped"
    assert len(extractor.calls) == 1
    assert _count(ctx, DocumentPage) == 1
    assert _count(ctx, DerivedFile) == 1


def test_interrupted_run_resumes_after_the_lease_expires(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, dispatched: list[int]
) -> None:
    _, doc_id = _new_document(client, caseworker)
    dispatched.clear()
    # A worker claimed the document and died: the lease is live, nobody else may take it.
    with ctx.uow() as uow:
        uow.session.execute(
            update(Document)
            .where(Document.id == doc_id)
            .values(status="processing", lease_until=datetime.now(UTC) + timedelta(minutes=5))
        )
        uow.commit()
    assert pipeline.process_document(ctx, doc_id).status == "skipped"
    assert pipeline.reconcile(ctx) == []
    with ctx.uow() as uow:
        uow.session.execute(
            update(Document)
            .where(Document.id == doc_id)
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    assert pipeline.reconcile(ctx) == [doc_id]
    assert dispatched == [doc_id]
    assert pipeline.process_document(ctx, doc_id).status == "ready"


def test_a_broken_file_fails_with_a_readable_reason_and_stays_downloadable(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, extractor: ScriptedExtractor
) -> None:
    extractor.error = EncryptedDocumentError("The PDF is protected by a password.")
    _, doc_id = _new_document(client, caseworker)
    assert pipeline.process_document(ctx, doc_id).status == "failed"
    meta = client.get(f"/api/v1/documents/{doc_id}", headers=caseworker.headers).json
    assert meta["status"] == "failed"
    assert meta["error"]
    assert (
        client.get(f"/api/v1/documents/{doc_id}/content", headers=caseworker.headers).status_code
        == 200
    )
    assert pipeline.reconcile(ctx) == [], "a permanent failure is not retried by itself"


def test_storage_outage_retries_with_backoff_then_fails_then_recovers_on_reconcile(
    ctx: Context,
    client: FlaskClient,
    caseworker: StaffUser,
    blobs: InMemoryBlobStore,
    dispatched: list[int],
) -> None:
    _, doc_id = _new_document(client, caseworker)
    blobs.unavailable = True
    delays = []
    for _ in range(leases.MAX_ATTEMPTS - 1):
        outcome = pipeline.process_document(ctx, doc_id)
        assert outcome.status == "processing"
        delays.append(outcome.retry_in)
    assert delays == sorted(delays)
    assert delays[0] is not None
    assert delays[-1] is not None
    assert delays[-1] > delays[0]
    assert pipeline.process_document(ctx, doc_id).status == "failed"
    meta = client.get(f"/api/v1/documents/{doc_id}", headers=caseworker.headers).json
    assert meta["status"] == "failed"
    assert "unavailable" in meta["error"]

    blobs.unavailable = False
    dispatched.clear()
    assert pipeline.reconcile(ctx) == [doc_id]
    assert dispatched == [doc_id]
    assert pipeline.process_document(ctx, doc_id).status == "ready"


def test_search_never_leaks_another_teams_canary(
    ctx: Context,
    client: FlaskClient,
    caseworker: StaffUser,
    make_user: Callable[..., StaffUser],
    extractor: ScriptedExtractor,
) -> None:
    extractor.pages = ("Kanarienvogel-Geheimnis im Bescheid",)
    _, doc_id = _new_document(client, caseworker)
    pipeline.process_document(ctx, doc_id)
    stranger = make_user("caseworker", ("Team B",))
    for user, expected in ((caseworker, 1), (stranger, 0)):
        body = client.get("/api/v1/search?q=Kanarienvogel-Geheimnis", headers=user.headers).json
        assert body["total"] == expected
        assert len(body["hits"]) == expected
    assert (
        client.get(f"/api/v1/documents/{doc_id}/text", headers=stranger.headers).status_code == 404
    )


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_is_a_400(client: FlaskClient, caseworker: StaffUser, query: str) -> None:
    response = client.get(f"/api/v1/search?q={query}", headers=caseworker.headers)
    assert response.status_code in {400, 422}
