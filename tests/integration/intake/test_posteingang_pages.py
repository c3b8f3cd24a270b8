"""The clerks' Posteingang pages: inbox, filing by click, edits as new versions, upload, sheets.

Edits run the real sandboxed pypdf/Pillow child on PDFs and images generated here; the
original's blob and SHA-256 are checked byte for byte after every edit.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable

import pypdf
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from ecase.domain.enums import DocumentSource
from ecase.models import AuditEvent, Document, DocumentPage, DocumentVersion, ScanBatch
from ecase.services.casefile import cases, documents, persons
from ecase.services.context import Context
from ecase.services.intake import pipeline, scanning
from ecase.web.intake.posteingang import parse_pages
from ocr import CorruptDocumentError
from ocr.samples import text_pdf
from tests.conftest import StaffUser
from tests.support.fakes import ScriptedExtractor
from tests.support.web import csrf, login

Scan = Callable[..., int]


@pytest.fixture
def clerk(make_user: Callable[..., StaffUser]) -> StaffUser:
    return make_user("clerk", (), name="clara")


@pytest.fixture
def clerk_web(app: Flask, clerk: StaffUser) -> FlaskClient:
    web = app.test_client()
    login(web, clerk)
    return web


@pytest.fixture
def scan(ctx: Context, clerk: StaffUser, extractor: ScriptedExtractor) -> Scan:
    """A processed inbox document with one page per text (a real multi-page PDF)."""

    def _scan(*texts: str, title: str = "Posteingang Brief", data: bytes | None = None) -> int:
        body = data if data is not None else text_pdf([[t] for t in texts])
        upload = documents.Upload(
            stream=io.BytesIO(body), filename="scan.pdf", title=title, source=DocumentSource.SCAN
        )
        document = documents.add_document(ctx, clerk.actor, None, upload)
        extractor.pages = texts
        assert pipeline.process_document(ctx, document.id).status == "ready"
        return document.id

    return _scan


def _case(ctx: Context, caseworker: StaffUser, name: str = "Kowalski") -> tuple[int, str]:
    person = persons.create_person(ctx, caseworker.actor, persons.NewPerson(name, birth_date=None))
    case = cases.create_case(ctx, caseworker.actor, cases.NewCase(person.id, "Visum"))
    return case.id, case.reference


def _versions(ctx: Context, document_id: int) -> list[DocumentVersion]:
    with ctx.uow() as uow:
        return list(
            uow.session.execute(
                select(DocumentVersion)
                .where(DocumentVersion.document_id == document_id)
                .order_by(DocumentVersion.number)
            ).scalars()
        )


def _document(ctx: Context, document_id: int) -> Document:
    with ctx.uow() as uow:
        document = uow.session.get(Document, document_id)
        assert document is not None
        return document


def _pdf(ctx: Context, sha256: str) -> pypdf.PdfReader:
    with ctx.blobs.open(sha256) as stream:
        return pypdf.PdfReader(io.BytesIO(stream.read()))


def _blob_hash(ctx: Context, sha256: str) -> str:
    with ctx.blobs.open(sha256) as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def _post(web: FlaskClient, url: str, data: dict[str, str]) -> str:
    """Post a form of the inbox page and return the page it redirects to."""
    token = csrf(web.get("/inbox").get_data(as_text=True))
    response = web.post(url, data={**data, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return web.get(response.headers["Location"]).get_data(as_text=True)


# ------------------------------------------------------------------------------- inbox


def test_inbox_lists_document_with_suggestion_text_and_page_placeholders(
    ctx: Context, clerk_web: FlaskClient, caseworker: StaffUser, scan: Scan
) -> None:
    _case_id, reference = _case(ctx, caseworker)
    scan(f"Ihr Zeichen {reference}", "Anlage <b>fett</b>", title="Brief <script>")
    html = clerk_web.get("/inbox").get_data(as_text=True)
    assert "Brief &lt;script&gt;" in html
    assert "Anlage &lt;b&gt;fett&lt;/b&gt;" in html  # the OCR text, escaped, in <details>
    assert "<details" in html
    assert f"{reference}" in html
    assert "Aktenzeichen" in html
    assert html.count('class="thumb-placeholder"') == 2
    assert "Page images are being prepared" in html or "Seitenbilder" in html


def test_inbox_count_in_navigation_for_clerks(clerk_web: FlaskClient, scan: Scan) -> None:
    scan("eins")
    scan("zwei")
    html = clerk_web.get("/").get_data(as_text=True)
    assert 'href="/inbox"' in html
    assert '<span class="count">(2)</span>' in html


def test_inbox_is_hidden_from_caseworkers(app: Flask, caseworker: StaffUser, scan: Scan) -> None:
    doc_id = scan("eins")
    web = app.test_client()
    login(web, caseworker)
    assert web.get("/inbox").status_code == 404
    assert 'href="/inbox"' not in web.get("/").get_data(as_text=True)
    token = csrf(web.get("/account/password").get_data(as_text=True))
    response = web.post(f"/inbox/{doc_id}/split", data={"at_page": "2", "csrf_token": token})
    assert response.status_code == 404


def test_filing_by_click_on_a_suggestion(
    ctx: Context, clerk_web: FlaskClient, caseworker: StaffUser, scan: Scan
) -> None:
    case_id, reference = _case(ctx, caseworker)
    doc_id = scan(f"Betreff {reference}")
    page = _post(clerk_web, f"/inbox/{doc_id}/file", {"case_id": str(case_id)})
    assert _document(ctx, doc_id).case_id == case_id
    assert f'id="doc-{doc_id}"' not in page


def test_filing_by_typed_reference_and_unknown_reference(
    ctx: Context, clerk_web: FlaskClient, caseworker: StaffUser, scan: Scan
) -> None:
    case_id, reference = _case(ctx, caseworker)
    doc_id = scan("Kein Hinweis im Text")
    unknown = reference[:-1] + ("9" if reference[-1] != "9" else "8")
    page = _post(clerk_web, f"/inbox/{doc_id}/file", {"reference": unknown})
    assert (
        f"There is no case file with Aktenzeichen {unknown}" in page
        or f"Es gibt keine Akte mit dem Aktenzeichen {unknown}" in page
    )
    page = _post(clerk_web, f"/inbox/{doc_id}/file", {"reference": "kein zeichen"})
    assert "not a valid Aktenzeichen" in page
    assert _document(ctx, doc_id).case_id is None
    _post(clerk_web, f"/inbox/{doc_id}/file", {"reference": f"  {reference.lower()} "})
    assert _document(ctx, doc_id).case_id == case_id


# ------------------------------------------------------------------------------- edits


def test_split_keeps_the_original_and_makes_a_new_inbox_document(
    ctx: Context, client: FlaskClient, clerk: StaffUser, scan: Scan, dispatched: list[int]
) -> None:
    doc_id = scan("eins", "zwei", "drei")
    original = _versions(ctx, doc_id)[0]
    dispatched.clear()
    response = client.post(
        f"/api/v1/documents/{doc_id}/split", json={"at_page": 2}, headers=clerk.headers
    )
    assert response.status_code == 200, response.json
    new_id = response.json["created"]["id"]
    assert response.json["document"]["version"] == 2

    first, second = _versions(ctx, doc_id)
    assert (first.sha256, first.size) == (original.sha256, original.size)
    assert _blob_hash(ctx, first.sha256) == original.sha256  # the stored bytes are untouched
    assert len(_pdf(ctx, first.sha256).pages) == 3
    assert len(_pdf(ctx, second.sha256).pages) == 1
    assert second.media_type == "application/pdf"
    assert second.original_filename == "scan.pdf"
    (rest,) = _versions(ctx, new_id)
    assert len(_pdf(ctx, rest.sha256).pages) == 2
    document = _document(ctx, doc_id)
    assert (document.status, document.step, document.attempts) == ("received", "extract", 0)
    assert _document(ctx, new_id).case_id is None
    assert sorted(dispatched) == sorted([doc_id, new_id])


def test_rotate_by_form_turns_pages_in_a_new_version(
    ctx: Context, clerk_web: FlaskClient, scan: Scan
) -> None:
    doc_id = scan("eins", "zwei", "drei")
    page = _post(clerk_web, f"/inbox/{doc_id}/rotate", {"pages": "1, 3", "degrees": "270"})
    assert "turned" in page or "gedreht" in page
    first, second = _versions(ctx, doc_id)
    assert [p.rotation for p in _pdf(ctx, first.sha256).pages] == [0, 0, 0]
    assert [p.rotation for p in _pdf(ctx, second.sha256).pages] == [270, 0, 270]


def test_rotate_converts_an_image_scan_to_pdf_first(
    ctx: Context, client: FlaskClient, clerk: StaffUser, scan: Scan
) -> None:
    png = io.BytesIO()
    Image.new("L", (300, 400), 255).save(png, format="PNG", dpi=(150, 150))
    doc_id = scan("Foto", data=png.getvalue())
    response = client.post(
        f"/api/v1/documents/{doc_id}/rotate",
        json={"pages": [1], "degrees": 90},
        headers=clerk.headers,
    )
    assert response.status_code == 200, response.json
    first, second = _versions(ctx, doc_id)
    assert first.media_type == "image/png"
    assert second.media_type == "application/pdf"
    assert second.original_filename == "scan.pdf"
    assert [p.rotation for p in _pdf(ctx, second.sha256).pages] == [90]


def test_merge_appends_pages_and_supersedes_the_other(
    ctx: Context, client: FlaskClient, clerk: StaffUser, scan: Scan
) -> None:
    first_id = scan("eins", "zwei", title="Antrag")
    second_id = scan("Anlage", title="Anlage")
    other_original = _versions(ctx, second_id)[0].sha256
    response = client.post(
        f"/api/v1/documents/{first_id}/merge", json={"other_id": second_id}, headers=clerk.headers
    )
    assert response.status_code == 200, response.json
    merged = _versions(ctx, first_id)[-1]
    assert len(_pdf(ctx, merged.sha256).pages) == 3
    assert _document(ctx, second_id).superseded_by_id == first_id
    assert [v.sha256 for v in _versions(ctx, second_id)] == [other_original]
    inbox_ids = [
        d["id"] for d in client.get("/api/v1/inbox", headers=clerk.headers).json["documents"]
    ]
    assert first_id in inbox_ids
    assert second_id not in inbox_ids
    again = client.post(
        f"/api/v1/documents/{second_id}/assign", json={"case_id": 1}, headers=clerk.headers
    )
    assert again.status_code in {404, 409}


@pytest.mark.parametrize(
    ("url", "body", "status", "message"),
    [
        ("split", {"at_page": 0}, 400, "page 2 or later"),
        ("split", {"at_page": 1}, 400, "page 2 or later"),
        ("split", {"at_page": 4}, 400, "page 4 does not exist"),
        ("rotate", {"pages": [1], "degrees": 45}, 400, "90, 180 or 270"),
        ("rotate", {"pages": [9], "degrees": 90}, 400, "page 9 does not exist"),
        ("rotate", {"pages": [], "degrees": 90}, 422, ""),
        ("split", {"at_page": "2"}, 422, ""),
    ],
)
def test_bad_edits_are_refused_with_a_reason(  # noqa: PLR0917  # parametrised
    ctx: Context,
    client: FlaskClient,
    clerk: StaffUser,
    scan: Scan,
    url: str,
    body: dict[str, object],
    status: int,
    message: str,
) -> None:
    doc_id = scan("eins", "zwei", "drei")
    response = client.post(f"/api/v1/documents/{doc_id}/{url}", json=body, headers=clerk.headers)
    assert response.status_code == status, response.json
    assert message in response.json["message"]
    assert len(_versions(ctx, doc_id)) == 1


def test_merge_with_a_filed_document_is_a_conflict(
    ctx: Context, client: FlaskClient, clerk: StaffUser, caseworker: StaffUser, scan: Scan
) -> None:
    case_id, _reference = _case(ctx, caseworker)
    inbox_id = scan("eins")
    filed_id = scan("zwei")
    assigned = client.post(
        f"/api/v1/documents/{filed_id}/assign", json={"case_id": case_id}, headers=clerk.headers
    )
    assert assigned.status_code == 200
    for first, other in ((inbox_id, filed_id), (filed_id, inbox_id)):
        response = client.post(
            f"/api/v1/documents/{first}/merge", json={"other_id": other}, headers=clerk.headers
        )
        assert response.status_code == 409, response.json
        assert "already filed" in response.json["message"]
    assert len(_versions(ctx, inbox_id)) == 1
    same = client.post(
        f"/api/v1/documents/{inbox_id}/merge", json={"other_id": inbox_id}, headers=clerk.headers
    )
    assert same.status_code == 400


def test_split_in_the_web_form_shows_a_readable_refusal(
    ctx: Context, clerk_web: FlaskClient, scan: Scan
) -> None:
    doc_id = scan("eins", "zwei")
    page = _post(clerk_web, f"/inbox/{doc_id}/split", {"at_page": "7"})
    assert "page 7 does not exist" in page
    page = _post(clerk_web, f"/inbox/{doc_id}/rotate", {"pages": "eins", "degrees": "90"})
    assert "1, 3-5" in page
    assert len(_versions(ctx, doc_id)) == 1


def test_page_lists_as_typed() -> None:
    assert parse_pages("3, 1-2 ;5") == [1, 2, 3, 5]
    for bad in ("", "0-", "4-2", "a"):
        with pytest.raises(Exception, match=r"."):
            parse_pages(bad)


# ------------------------------------------------------------------------------ sheets


def test_sheets_button_gives_a_pdf_attachment(
    ctx: Context, clerk_web: FlaskClient, caseworker: StaffUser
) -> None:
    case_id, reference = _case(ctx, caseworker)
    generic = clerk_web.get("/sheets.pdf?count=3")
    assert generic.status_code == 200
    assert generic.headers["Content-Disposition"].startswith("attachment")
    assert len(pypdf.PdfReader(io.BytesIO(generic.data)).pages) == 3
    named = clerk_web.get(f"/sheets.pdf?case={case_id}")
    assert named.status_code == 200
    text = pypdf.PdfReader(io.BytesIO(named.data)).pages[0].extract_text()
    assert reference in text
    assert clerk_web.get("/sheets.pdf?case=987654").status_code == 404
    assert clerk_web.get("/sheets.pdf?count=abc").status_code == 400


# ------------------------------------------------------------------------------ upload


def _upload(web: FlaskClient, *files: tuple[bytes, str], script: bool = True) -> TestResponse:
    token = csrf(web.get("/inbox/upload").get_data(as_text=True))
    data = {"file": [(io.BytesIO(body), name) for body, name in files]}
    if script:
        headers = {"X-CSRFToken": token, "X-Requested-With": "fetch", "Accept": "application/json"}
        return web.post(
            "/inbox/upload", data=data, headers=headers, content_type="multipart/form-data"
        )
    return web.post(
        "/inbox/upload",
        data={**data, "csrf_token": token},
        content_type="multipart/form-data",
    )


def test_upload_page_has_a_drop_zone_and_a_plain_file_input(clerk_web: FlaskClient) -> None:
    html = clerk_web.get("/inbox/upload").get_data(as_text=True)
    assert 'id="dropzone"' in html
    assert re.search(r'<input type="file" id="files" name="file" multiple', html)
    assert re.search(r'<script src="/static/upload[.\w]*js" defer></script>', html)
    assert "<script>" not in html
    assert " onclick=" not in html
    assert 'aria-live="polite"' in html


def test_upload_by_script_answers_each_file_with_json(ctx: Context, clerk_web: FlaskClient) -> None:
    accepted = _upload(clerk_web, (text_pdf([["Brief"]]), "brief.pdf"))
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    assert accepted.json["ok"] is True
    assert accepted.json["url"] == f"/scan-batches/{accepted.json['batch_id']}"

    rejected = _upload(clerk_web, (b"just some words, no scan", "notiz.txt"))
    assert rejected.status_code == 415
    assert (
        "PDF, TIFF, PNG or JPEG" in rejected.json["message"]
        or "PDF-, TIFF-, PNG- oder JPEG-Dateien" in rejected.json["message"]
    )
    empty = _upload(clerk_web, (b"", "leer.pdf"))
    assert empty.status_code == 400
    assert "empty" in empty.json["message"] or "leer" in empty.json["message"]
    two = _upload(clerk_web, (b"%PDF-1.4", "a.pdf"), (b"%PDF-1.4", "b.pdf"))
    assert two.status_code == 400
    assert "exactly one file" in two.json["message"] or "genau eine Datei" in two.json["message"]
    with ctx.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(ScanBatch)).scalar() == 1


def test_upload_without_script_takes_several_files_and_names_each_outcome(
    clerk_web: FlaskClient,
) -> None:
    response = _upload(
        clerk_web,
        (text_pdf([["Brief"]]), "brief.pdf"),
        (b"GIF89a not accepted", "bild.gif"),
        script=False,
    )
    assert response.status_code == 302
    page = clerk_web.get(response.headers["Location"]).get_data(as_text=True)
    assert "brief.pdf: received as scan batch" in page or "brief.pdf: eingegangen als" in page
    assert (
        "bild.gif: This file type is not accepted" in page
        or "bild.gif: Dieser Dateityp ist nicht zulässig" in page
    )


def test_upload_page_is_for_clerks_only(app: Flask, make_user: Callable[..., StaffUser]) -> None:
    supervisor = make_user("supervisor", ("Team A",), name="sven")
    web = app.test_client()
    login(web, supervisor)
    assert web.get("/inbox/upload").status_code == 404
    assert web.get("/inbox").status_code == 200


# ------------------------------------------------------------------------ scan protocol


def test_scan_protocol_pages_and_the_quality_check(
    ctx: Context, app: Flask, clerk_web: FlaskClient, make_user: Callable[..., StaffUser]
) -> None:
    body = text_pdf([["Erste Seite"], ["Zweite Seite"]])
    batch_id = _upload(clerk_web, (body, "stapel.pdf")).json["batch_id"]
    assert scanning.split_batch(ctx, batch_id).status == "done"

    listing = clerk_web.get("/scan-batches").get_data(as_text=True)
    assert f'href="/scan-batches/{batch_id}"' in listing
    assert "stapel.pdf" in listing
    page = clerk_web.get(f"/scan-batches/{batch_id}").get_data(as_text=True)
    assert hashlib.sha256(body).hexdigest() in page
    assert "clara" in page
    assert "protocol.csv" in page
    assert "protocol.pdf" in page
    view = scanning.get_batch(ctx, make_user("clerk", (), name="carl").actor, batch_id)
    for document in view.documents:
        assert document.sha256 in page

    token = csrf(page)
    refused = clerk_web.post(f"/scan-batches/{batch_id}", data={"mode": "x", "csrf_token": token})
    assert "sampled" in clerk_web.get(refused.headers["Location"]).get_data(as_text=True)
    done = clerk_web.post(
        f"/scan-batches/{batch_id}",
        data={"mode": "complete", "note": "Alle Seiten <i>lesbar</i>", "csrf_token": token},
    )
    page = clerk_web.get(done.headers["Location"]).get_data(as_text=True)
    assert "Alle Seiten &lt;i&gt;lesbar&lt;/i&gt;" in page
    csv_file = clerk_web.get(f"/scan-batches/{batch_id}/protocol.csv")
    assert csv_file.headers["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(body).hexdigest() in csv_file.get_data(as_text=True)

    supervisor = make_user("supervisor", ("Team A",), name="sven")
    web = app.test_client()
    login(web, supervisor)
    seen = web.get(f"/scan-batches/{batch_id}").get_data(as_text=True)
    assert 'name="mode"' not in seen  # reads the protocol, does not confirm checks


def test_inbox_shows_lazy_thumbnails_with_their_size_once_rendered(
    ctx: Context, clerk_web: FlaskClient, scan: Scan
) -> None:
    doc_id = scan("eins", "zwei")
    with ctx.uow() as uow:
        version = uow.session.execute(
            select(DocumentVersion.id).where(DocumentVersion.document_id == doc_id)
        ).scalar_one()
        uow.session.execute(
            update(DocumentPage)
            .where(DocumentPage.version_id == version, DocumentPage.number == 1)
            .values(thumb_sha256="0" * 64, image_sha256="0" * 64, width=1240, height=1754)
        )
        uow.commit()
    html = clerk_web.get("/inbox").get_data(as_text=True)
    img = re.search(r'<img src="([^"]+)" loading="lazy" width="120" height="(\d+)"', html)
    assert img, html
    assert img.group(1) == f"/documents/{doc_id}/pages/1/thumb"
    assert img.group(2) == "170"  # 1754 * 120 / 1240, rounded
    assert html.count('class="thumb-placeholder"') == 1  # page 2 has no image yet


def test_a_tiff_scan_merges_frame_by_frame_and_the_edit_is_logged(
    ctx: Context, client: FlaskClient, clerk: StaffUser, scan: Scan
) -> None:
    frames = [Image.new("L", (200, 280), 255) for _ in range(2)]
    tiff = io.BytesIO()
    frames[0].save(tiff, format="TIFF", save_all=True, append_images=frames[1:], dpi=(200, 200))
    first_id = scan("Brief")
    second_id = scan("Anlage 1", "Anlage 2", data=tiff.getvalue())
    response = client.post(
        f"/api/v1/documents/{first_id}/merge", json={"other_id": second_id}, headers=clerk.headers
    )
    assert response.status_code == 200, response.json
    assert len(_pdf(ctx, _versions(ctx, first_id)[-1].sha256).pages) == 3
    with ctx.uow() as uow:
        events = uow.session.execute(
            select(AuditEvent.action, AuditEvent.document_id, AuditEvent.user_id).where(
                AuditEvent.action == "document.merge"
            )
        ).all()
    assert sorted(e.document_id for e in events) == sorted([first_id, second_id])
    assert {e.user_id for e in events} == {clerk.actor.user_id}


def test_documents_in_processing_or_unreadable_are_not_edited(
    ctx: Context, client: FlaskClient, clerk: StaffUser, extractor: ScriptedExtractor, scan: Scan
) -> None:
    waiting = documents.add_document(
        ctx,
        clerk.actor,
        None,
        documents.Upload(stream=io.BytesIO(text_pdf([["a"], ["b"]])), filename="neu.pdf"),
    )
    response = client.post(
        f"/api/v1/documents/{waiting.id}/split", json={"at_page": 2}, headers=clerk.headers
    )
    assert response.status_code == 409
    assert "still being processed" in response.json["message"]

    broken = documents.add_document(
        ctx,
        clerk.actor,
        None,
        documents.Upload(
            stream=io.BytesIO(b"%PDF-1.4\n1 0 obj <<>> broken"), filename="kaputt.pdf"
        ),
    )
    extractor.error = CorruptDocumentError("Die PDF-Datei ist beschädigt.")
    assert pipeline.process_document(ctx, broken.id).status == "failed"
    response = client.post(
        f"/api/v1/documents/{broken.id}/rotate",
        json={"pages": [1], "degrees": 180},
        headers=clerk.headers,
    )
    assert response.status_code == 409
    assert "cannot be edited" in response.json["message"]
    assert len(_versions(ctx, broken.id)) == 1
