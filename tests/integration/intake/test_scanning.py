"""Scan batches: intake, splitting into filed documents, duplicates, protocol and access.

The splitter is the scripted fake here (what each page is, decided by the test), so these
tests are about the service and the database; test_hotfolder runs the real splitter on
generated scans, and the last test here runs real tesseract end to end.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable

import pypdf
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from ecase.domain.enums import CaseStatus, DocumentSource
from ecase.domain.errors import ConflictError, InvalidInputError, NotFoundError
from ecase.models import AuditEvent, CaseFile, Document, ScanBatch
from ecase.services.casefile import cases, persons
from ecase.services.context import Context
from ecase.services.intake import leases, pipeline, scanning
from ecase.services.intake.scanning import ScannerProfile
from ocr import CorruptDocumentError, FakeBatchSplitter, OcrEngineError, Separator
from tests.conftest import StaffUser
from tests.support.files import minimal_pdf

SEP = Separator("sep")


class FailingSplitter:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def split(self, source: object, outdir: object) -> object:
        self.calls += 1
        raise self.error


@pytest.fixture
def batches() -> list[int]:
    return []


@pytest.fixture
def scan_ctx(ctx: Context, batches: list[int]) -> Context:
    return dataclasses.replace(
        ctx, batch_splitter=FakeBatchSplitter(), dispatch_batch=batches.append
    )


@pytest.fixture
def clerk(make_user: Callable[..., StaffUser]) -> StaffUser:
    return make_user("clerk", ("Poststelle",), name="clara")


def _case(ctx: Context, user: StaffUser, name: str) -> tuple[int, str]:
    person = persons.create_person(ctx, user.actor, persons.NewPerson(name, birth_date=None))
    case = cases.create_case(ctx, user.actor, cases.NewCase(person.id, "Aufenthaltserlaubnis"))
    return case.id, case.reference


def _with_plan(ctx: Context, plan: list[Separator | None]) -> Context:
    return dataclasses.replace(ctx, batch_splitter=FakeBatchSplitter(plan))


def _ingest(
    ctx: Context,
    content: bytes,
    *,
    actor: StaffUser | None = None,
    name: str = "stapel.pdf",
    profile: ScannerProfile | None = None,
) -> scanning.BatchView:
    return scanning.ingest_file(
        ctx,
        actor.actor if actor else None,
        io.BytesIO(content),
        name,
        channel="upload" if actor else "hotfolder",
        profile=profile,
    )


def test_a_batch_is_split_into_documents_filed_by_their_separator_sheets(
    scan_ctx: Context,
    caseworker: StaffUser,
    clerk: StaffUser,
    batches: list[int],
    dispatched: list[int],
) -> None:
    open_id, open_ref = _case(scan_ctx, caseworker, "Haddad")
    closed_id, closed_ref = _case(scan_ctx, caseworker, "Petrenko")
    with scan_ctx.uow() as uow:
        uow.session.execute(
            update(CaseFile).where(CaseFile.id == closed_id).values(status=CaseStatus.CLOSED)
        )
        uow.commit()
    plan = [
        None,  # before any sheet: inbox
        Separator("case", open_ref),
        None,
        None,
        Separator("case", "MA-9999-2026-99999"),
        None,
        Separator("case", closed_ref),
        None,
        SEP,
        None,
    ]
    ctx = _with_plan(scan_ctx, plan)
    profile = ScannerProfile("farbe-300dpi", 300, "colour", "clara")
    received = _ingest(ctx, minimal_pdf("Stapel eins"), profile=profile)
    assert received.status == "received"
    assert batches == [received.id]
    assert received.scanned_by == "clara"

    assert scanning.split_batch(ctx, received.id).status == "done"
    view = scanning.get_batch(ctx, clerk.actor, received.id)
    assert (view.status, view.page_count, view.profile) == ("done", 10, "farbe-300dpi")
    assert (view.resolution_dpi, view.colour_mode, view.channel) == (300, "colour", "hotfolder")
    docs = view.documents
    assert [d.pages for d in docs] == [(1,), (3, 4), (6,), (8,), (10,)]
    assert [d.case_id for d in docs] == [None, open_id, None, None, None]
    assert [d.reference for d in docs] == [None, open_ref, None, None, None]
    assert docs[2].intake_warning == "Separator sheet names unknown Aktenzeichen MA-9999-2026-99999"
    assert docs[3].intake_warning is not None
    assert closed_ref in docs[3].intake_warning
    assert "closed" in docs[3].intake_warning
    assert docs[0].intake_warning is None
    assert docs[1].intake_warning is None
    assert dispatched == [d.id for d in docs]
    assert len({d.sha256 for d in docs}) == 5

    log = view.split_log
    assert [e.kind for e in log] == [
        "page", "separator", "page", "page", "separator", "page", "separator", "page",
        "separator", "page",
    ]  # fmt: skip
    assert log[1].payload == f"ECASE:CASE:{open_ref}"
    assert log[2].document == 2
    assert log[2].document_id == docs[1].id
    assert log[1].document_id is None

    with ctx.uow() as uow:
        rows = uow.session.execute(select(Document).where(Document.scan_batch_id == view.id))
        stored = list(rows.scalars())
        assert {d.source for d in stored} == {DocumentSource.SCAN}
        uploads = uow.session.execute(
            select(AuditEvent).where(AuditEvent.action == "document.upload")
        ).scalars()
        assert sorted(e.document_id for e in uploads if e.document_id) == [d.id for d in docs]

    # filed documents go through the normal pipeline
    assert pipeline.process_document(ctx, docs[1].id).status == "ready"
    # splitting again changes nothing
    assert scanning.split_batch(ctx, received.id).status == "skipped"


def test_the_same_file_twice_is_recorded_as_a_duplicate_and_not_filed_again(
    scan_ctx: Context, clerk: StaffUser, batches: list[int]
) -> None:
    ctx = _with_plan(scan_ctx, [None, SEP, None])
    first = _ingest(ctx, minimal_pdf("Morgenpost"))
    scanning.split_batch(ctx, first.id)
    second = _ingest(ctx, minimal_pdf("Morgenpost"), actor=clerk)
    assert second.duplicate_of_id == first.id
    assert second.status == "done"
    assert second.status_reason is not None
    assert f"Duplicate of batch {first.id}" in second.status_reason
    assert batches == [first.id], "a duplicate is not split"
    assert scanning.split_batch(ctx, second.id).status == "skipped"
    with ctx.uow() as uow:
        count = len(list(uow.session.execute(select(Document.id)).scalars()))
    assert count == 2
    listed = scanning.list_batches(ctx, clerk.actor)
    assert [b.id for b in listed] == [second.id, first.id]
    assert listed[0].duplicate_of_id == first.id


def test_a_document_with_bytes_already_on_file_is_flagged_as_duplicate(
    scan_ctx: Context, clerk: StaffUser
) -> None:
    class SameBytesSplitter(FakeBatchSplitter):
        """Every document has the same bytes, as when a letter is scanned twice."""

        def split(self, source, outdir):  # type: ignore[no-untyped-def]
            result = super().split(source, outdir)
            for document in result.documents:
                document.path.write_bytes(minimal_pdf("Gleicher Brief"))
            return result

    ctx = dataclasses.replace(scan_ctx, batch_splitter=SameBytesSplitter([None, SEP, None]))
    batch = _ingest(ctx, minimal_pdf("Stapel"))
    scanning.split_batch(ctx, batch.id)
    first, second = scanning.get_batch(ctx, clerk.actor, batch.id).documents
    assert first.duplicate_of_id is None
    assert second.duplicate_of_id == first.id
    assert first.sha256 == second.sha256


def test_a_batch_of_only_separator_sheets_files_nothing(
    scan_ctx: Context, clerk: StaffUser, dispatched: list[int]
) -> None:
    ctx = _with_plan(scan_ctx, [SEP, Separator("case", "MA-1-2026-1"), SEP])
    batch = _ingest(ctx, minimal_pdf("Nur Trennblätter"))
    assert scanning.split_batch(ctx, batch.id).status == "done"
    view = scanning.get_batch(ctx, clerk.actor, batch.id)
    assert view.documents == ()
    assert view.status_reason == scanning.NOTHING_TO_FILE
    assert view.page_count == 3
    assert dispatched == []


def test_a_damaged_file_fails_the_batch_with_a_reason(scan_ctx: Context, clerk: StaffUser) -> None:
    splitter = FailingSplitter(CorruptDocumentError("Die PDF-Datei ist beschädigt."))
    ctx = dataclasses.replace(scan_ctx, batch_splitter=splitter)
    batch = _ingest(ctx, minimal_pdf("kaputt"))
    assert scanning.split_batch(ctx, batch.id).status == "failed"
    view = scanning.get_batch(ctx, clerk.actor, batch.id)
    assert view.status == "failed"
    assert view.status_reason == "Die PDF-Datei ist beschädigt."
    # a failed batch does not block a new attempt with the same file
    again = _ingest(ctx, minimal_pdf("kaputt"))
    assert again.duplicate_of_id is None


def test_outages_are_retried_and_lost_batches_reconciled(
    scan_ctx: Context, batches: list[int]
) -> None:
    splitter = FailingSplitter(OcrEngineError("sandbox down"))
    ctx = dataclasses.replace(scan_ctx, batch_splitter=splitter)
    batch = _ingest(ctx, minimal_pdf("später"))
    outcome = scanning.split_batch(ctx, batch.id)
    assert (outcome.status, outcome.retry_in) == ("splitting", 5.0)
    assert scanning.reconcile_batches(ctx) == [batch.id]
    for _ in range(leases.MAX_ATTEMPTS - 1):
        outcome = scanning.split_batch(ctx, batch.id)
    assert outcome.status == "failed"
    assert splitter.calls == leases.MAX_ATTEMPTS
    assert scanning.reconcile_batches(ctx) == []


def test_a_live_lease_keeps_the_reconciler_away(scan_ctx: Context, batches: list[int]) -> None:
    batch = _ingest(scan_ctx, minimal_pdf("in Arbeit"))
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    with scan_ctx.uow() as uow:
        uow.session.execute(
            update(ScanBatch)
            .where(ScanBatch.id == batch.id)
            .values(status="splitting", lease_until=datetime.now(UTC) + timedelta(minutes=5))
        )
        uow.commit()
    assert scanning.reconcile_batches(scan_ctx) == []
    assert scanning.split_batch(scan_ctx, batch.id).status == "skipped"
    with scan_ctx.uow() as uow:
        uow.session.execute(
            update(ScanBatch)
            .where(ScanBatch.id == batch.id)
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    assert scanning.reconcile_batches(scan_ctx) == [batch.id]
    assert scanning.split_batch(scan_ctx, batch.id).status == "done"


def test_quality_check_is_recorded_and_audited(scan_ctx: Context, clerk: StaffUser) -> None:
    batch = _ingest(scan_ctx, minimal_pdf("Prüfung"))
    with pytest.raises(ConflictError):
        scanning.confirm_quality_check(scan_ctx, clerk.actor, batch.id, "sampled", "")
    scanning.split_batch(scan_ctx, batch.id)
    with pytest.raises(InvalidInputError):
        scanning.confirm_quality_check(scan_ctx, clerk.actor, batch.id, "glanced", "")
    view = scanning.confirm_quality_check(
        scan_ctx, clerk.actor, batch.id, "complete", "  Alle Seiten geprüft.  "
    )
    assert view.quality_check == "complete"
    assert view.quality_checked_by == "clara"
    assert view.quality_checked_at is not None
    assert view.quality_note == "Alle Seiten geprüft."
    with scan_ctx.uow() as uow:
        event = uow.session.execute(
            select(AuditEvent).where(AuditEvent.action == "scan.quality_check")
        ).scalar_one()
        assert (event.username, event.reason, event.object_id) == ("clara", "complete", batch.id)


def test_only_clerks_scan_and_caseworkers_and_admins_never_see_the_protocol(
    scan_ctx: Context, make_user: Callable[..., StaffUser]
) -> None:
    batch = _ingest(scan_ctx, minimal_pdf("Zugriff"))
    scanning.split_batch(scan_ctx, batch.id)
    caseworker = make_user("caseworker", ("Team A",))
    admin = make_user("admin", ("IT",))
    auditor = make_user("auditor", ("Datenschutz",))
    supervisor = make_user("supervisor", ("Team A",))
    for user in (caseworker, admin):
        with pytest.raises(NotFoundError):
            scanning.get_batch(scan_ctx, user.actor, batch.id)
        with pytest.raises(NotFoundError):
            scanning.protocol_csv(scan_ctx, user.actor, batch.id)
        with pytest.raises(NotFoundError):
            scanning.list_batches(scan_ctx, user.actor)
    for user in (caseworker, supervisor, auditor):
        with pytest.raises(NotFoundError):
            _ingest(scan_ctx, minimal_pdf("fremd"), actor=user)
        with pytest.raises(NotFoundError):
            scanning.confirm_quality_check(scan_ctx, user.actor, batch.id, "sampled", "")
    assert scanning.get_batch(scan_ctx, auditor.actor, batch.id).id == batch.id
    assert scanning.get_batch(scan_ctx, supervisor.actor, batch.id).id == batch.id
    with pytest.raises(NotFoundError):
        scanning.get_batch(scan_ctx, auditor.actor, batch.id + 1000)
    with scan_ctx.uow() as uow:
        denied = uow.session.execute(
            select(AuditEvent.action).where(AuditEvent.outcome == "denied")
        ).scalars()
        assert {"scan.view", "scan.ingest", "scan.quality_check", "scan.list"} <= set(denied)


def _protocol_batch(ctx: Context, caseworker: StaffUser) -> tuple[scanning.BatchView, str]:
    _case_id, reference = _case(ctx, caseworker, "Nguyen")
    ctx = _with_plan(ctx, [None, Separator("case", reference), None, None])
    batch = _ingest(ctx, minimal_pdf("Protokoll"), name="=HYPERLINK(evil).pdf")
    scanning.split_batch(ctx, batch.id)
    return batch, reference


def test_protocol_csv_is_excel_ready_and_formula_safe(
    scan_ctx: Context, caseworker: StaffUser, clerk: StaffUser
) -> None:
    batch, reference = _protocol_batch(scan_ctx, caseworker)
    view = scanning.get_batch(scan_ctx, clerk.actor, batch.id)
    data = scanning.protocol_csv(scan_ctx, clerk.actor, batch.id)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    fields = {row[0]: row[1] for row in rows if len(row) == 2}
    assert fields["SHA-256 der Quelldatei / Source SHA-256"] == view.source_sha256
    assert fields["Quelldatei / Source file"] == "'=HYPERLINK(evil).pdf"
    assert fields["Seiten / Pages"] == "4"
    assert fields["Status"] == "done"
    header = rows.index(list(scanning.DOCUMENT_COLUMNS))
    documents = rows[header + 1 : header + 1 + len(view.documents)]
    assert [row[4] for row in documents] == [d.sha256 for d in view.documents]
    assert documents[1][2] == reference
    assert documents[1][3] == "3, 4"
    with scan_ctx.uow() as uow:
        assert uow.session.execute(
            select(AuditEvent.seq).where(AuditEvent.action == "scan.protocol")
        ).first()


def test_protocol_pdf_is_readable_and_names_every_hash(
    scan_ctx: Context, caseworker: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    batch, reference = _protocol_batch(scan_ctx, caseworker)
    auditor = make_user("auditor", ("Datenschutz",))
    data = scanning.protocol_pdf(scan_ctx, auditor.actor, batch.id)
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    view = scanning.get_batch(scan_ctx, auditor.actor, batch.id)
    assert view.source_sha256 in text
    for document in view.documents:
        assert document.sha256 in text
    assert reference in text
    assert f"Scanprotokoll Stapel {batch.id}" in text


def test_the_api_takes_a_batch_and_serves_its_protocol(
    ctx: Context, client: FlaskClient, clerk: StaffUser, make_user: Callable[..., StaffUser]
) -> None:
    response = client.post(
        "/api/v1/scan-batches",
        data={"file": (io.BytesIO(minimal_pdf("API")), "api.pdf")},
        headers=clerk.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.json
    batch_id = response.json["id"]
    assert response.json["status"] == "received"
    assert response.json["channel"] == "upload"
    assert response.json["scanned_by"] == "clara"

    garbage = client.post(
        "/api/v1/scan-batches",
        data={"file": (io.BytesIO(b"just some text"), "notes.txt")},
        headers=clerk.headers,
        content_type="multipart/form-data",
    )
    assert garbage.status_code == 415
    unknown_profile = client.post(
        "/api/v1/scan-batches",
        data={"file": (io.BytesIO(minimal_pdf("x")), "x.pdf"), "profile": "gibt-es-nicht"},
        headers=clerk.headers,
        content_type="multipart/form-data",
    )
    assert unknown_profile.status_code == 400
    assert "profile" in unknown_profile.get_data(as_text=True)
    missing = client.post("/api/v1/scan-batches", data={}, headers=clerk.headers)
    assert missing.status_code == 400

    too_early = client.post(
        f"/api/v1/scan-batches/{batch_id}/quality-check",
        json={"mode": "sampled"},
        headers=clerk.headers,
    )
    assert too_early.status_code == 409
    assert scanning.split_batch(ctx, batch_id).status == "done"
    checked = client.post(
        f"/api/v1/scan-batches/{batch_id}/quality-check",
        json={"mode": "sampled", "note": "Stichprobe"},
        headers=clerk.headers,
    )
    assert checked.status_code == 200
    assert checked.json["quality_check"] == "sampled"
    bad_mode = client.post(
        f"/api/v1/scan-batches/{batch_id}/quality-check",
        json={"mode": "egal"},
        headers=clerk.headers,
    )
    assert bad_mode.status_code == 422

    item = client.get(f"/api/v1/scan-batches/{batch_id}", headers=clerk.headers).json
    assert item["documents"][0]["pages"] == [1]
    listed = client.get("/api/v1/scan-batches?limit=5", headers=clerk.headers).json
    assert [b["id"] for b in listed["batches"]] == [batch_id]
    csv_response = client.get(
        f"/api/v1/scan-batches/{batch_id}/protocol.csv", headers=clerk.headers
    )
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    assert "attachment" in csv_response.headers["Content-Disposition"]
    pdf_response = client.get(
        f"/api/v1/scan-batches/{batch_id}/protocol.pdf", headers=clerk.headers
    )
    assert pdf_response.data.startswith(b"%PDF-")

    caseworker = make_user("caseworker", ("Team A",))
    hidden = client.get(f"/api/v1/scan-batches/{batch_id}", headers=caseworker.headers)
    absent = client.get("/api/v1/scan-batches/987654", headers=caseworker.headers)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json == absent.json
