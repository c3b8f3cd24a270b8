"""The document viewer over HTTP: real page images, hit boxes from real OCR, ranges, auditing.

Rendering is real (PDFium in the sandbox) wherever the pixels matter; the 300-page test
uses the fake renderer, because what it measures is the HTML and the queries, not pixels.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, select

from ecase.models import AuditEvent, DerivedFile, Document, DocumentPage
from ecase.services.casefile import page_images
from ecase.services.context import Context
from ecase.services.intake import pipeline
from ocr import FakePageRenderer, TesseractExtractor
from ocr.samples import image_pdf, letter_lines, render_page, text_pdf
from storage.memory import InMemoryBlobStore
from tests.conftest import StaffUser
from tests.support.fakes import ScriptedExtractor
from tests.support.files import minimal_pdf
from tests.support.tesseract import needs_tesseract
from tests.support.web import login, without_csrf

MISSING_ID = 987_654


def _upload(client: FlaskClient, user: StaffUser, pdf: bytes, title: str = "Bescheid") -> int:
    person = client.post(
        "/api/v1/persons",
        json={"family_name": "Haddad", "given_names": "Rania", "birth_date": None},
        headers=user.headers,
    ).json
    case = client.post(
        "/api/v1/cases", json={"person_id": person["id"], "subject": "Visum"}, headers=user.headers
    ).json
    upload = client.post(
        f"/api/v1/cases/{case['id']}/documents",
        data={"file": (io.BytesIO(pdf), "scan.pdf"), "title": title},
        headers=user.headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 202, upload.json
    return int(upload.json["id"])


@pytest.fixture
def web(client: FlaskClient, caseworker: StaffUser) -> FlaskClient:
    login(client, caseworker)
    return client


def _ready(ctx: Context, client: FlaskClient, user: StaffUser, pdf: bytes, **kw: Any) -> int:
    doc_id = _upload(client, user, pdf, **kw)
    assert pipeline.process_document(ctx, doc_id).status == "ready"
    return doc_id


def _events(ctx: Context, action: str, document_id: int) -> list[AuditEvent]:
    with ctx.uow() as uow:
        return list(
            uow.session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == action, AuditEvent.document_id == document_id
                )
            ).scalars()
        )


def test_viewer_shows_page_images_text_and_downloads(
    ctx: Context,
    web: FlaskClient,
    caseworker: StaffUser,
    extractor: ScriptedExtractor,
) -> None:
    extractor.pages = ("Seite eins mit Mietvertrag", "Seite zwei mit <b>Anlage</b>")
    extractor.searchable_pdf = False  # the original is rendered: a real two-page PDF
    doc_id = _ready(ctx, web, caseworker, text_pdf([["Seite eins"], ["Seite zwei"]]))

    before = web.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "still being prepared" in before or "noch vorbereitet" in before
    assert "<img" not in before.split('class="viewer-pages"')[1]
    assert "Seite eins mit Mietvertrag" in before  # the text is there before the images

    assert page_images.render_document_pages(ctx, doc_id).status == "rendered"
    assert page_images.render_document_pages(ctx, doc_id).status == "skipped"  # idempotent

    response = web.get(f"/documents/{doc_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "still being prepared" not in html
    images = re.findall(
        r'<img src="([^"]+/image)" width="(\d+)" height="(\d+)" loading="lazy"', html
    )
    assert [(src.split("/")[-2], w) for src, w, _ in images] == [("1", "1200"), ("2", "1200")]
    assert html.count('/thumb" width="180"') == 2
    assert "Seite zwei mit &lt;b&gt;Anlage&lt;/b&gt;" in html  # escaped, never markup
    assert f'href="/documents/{doc_id}/original"' in html
    assert "searchable.pdf" not in html  # no OCR, no separate searchable PDF
    assert "Back to case file" in html or "Zurück zur Akte" in html

    image = web.get(images[0][0])
    assert image.status_code == 200
    assert image.mimetype == "image/webp"
    assert image.data[:4] == b"RIFF"
    cache = image.headers["Cache-Control"]
    assert {"private", "immutable"} <= {part.strip() for part in cache.split(",")}
    assert "max-age=" in cache
    etag = image.headers["ETag"]
    assert web.get(images[0][0], headers={"If-None-Match": etag}).status_code == 304
    assert web.get(f"/documents/{doc_id}/pages/2/thumb").status_code == 200
    assert web.get(f"/documents/{doc_id}/pages/3/image").status_code == 404
    assert web.get(f"/documents/{doc_id}/pages/0/thumb").status_code == 404
    assert web.get(f"/documents/{doc_id}/searchable.pdf").status_code == 404

    api = web.get(f"/api/v1/documents/{doc_id}/pages", headers=caseworker.headers).json
    assert [(p["number"], p["width"], p["text_source"]) for p in api] == [
        (1, 1200, "ocr"),
        (2, 1200, "ocr"),
    ]
    assert api[0]["image_url"] == f"/documents/{doc_id}/pages/1/image"
    assert api[1]["thumb_url"] == f"/documents/{doc_id}/pages/2/thumb"


def test_other_team_and_missing_pages_get_the_same_404(
    ctx: Context,
    web: FlaskClient,
    app: Any,
    caseworker: StaffUser,
    make_user: Callable[..., StaffUser],
) -> None:
    doc_id = _ready(ctx, web, caseworker, minimal_pdf())
    page_images.render_document_pages(replace(ctx, page_renderer=FakePageRenderer()), doc_id)
    stranger = make_user("caseworker", ("Team B",), name="bert")
    other = app.test_client()
    login(other, stranger)
    for template in (
        "/documents/{}",
        "/documents/{}/pages/1/image",
        "/documents/{}/pages/1/thumb",
        "/documents/{}/searchable.pdf",
    ):
        hidden = other.get(template.format(doc_id))
        absent = other.get(template.format(MISSING_ID))
        assert hidden.status_code == absent.status_code == 404, template
        assert without_csrf(hidden.data) == without_csrf(absent.data)
    hidden = other.get(f"/api/v1/documents/{doc_id}/pages", headers=stranger.headers)
    assert hidden.status_code == 404
    denied = [e for e in _events(ctx, "document.pages", doc_id) if e.outcome == "denied"]
    assert len(denied) == 2


def test_page_reads_are_audited_once_per_user_document_and_window(
    ctx: Context,
    web: FlaskClient,
    caseworker: StaffUser,
    extractor: ScriptedExtractor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extractor.pages = ("eins", "zwei", "drei")
    doc_id = _ready(ctx, web, caseworker, minimal_pdf())
    page_images.render_document_pages(replace(ctx, page_renderer=FakePageRenderer(3)), doc_id)

    assert web.get(f"/documents/{doc_id}").status_code == 200
    assert len(_events(ctx, "document.view", doc_id)) == 1
    for number in (1, 2, 3):
        assert web.get(f"/documents/{doc_id}/pages/{number}/thumb").status_code == 200
        assert web.get(f"/documents/{doc_id}/pages/{number}/image").status_code == 200
    (event,) = _events(ctx, "document.pages", doc_id)
    assert event.user_id == caseworker.actor.user_id
    assert event.outcome == "allowed"

    # once the window has passed, the next read is recorded again
    monkeypatch.setattr(page_images, "PAGES_AUDIT_WINDOW", page_images.timedelta(0))
    assert web.get(f"/documents/{doc_id}/pages/1/image").status_code == 200
    assert len(_events(ctx, "document.pages", doc_id)) == 2


def test_range_requests_on_original_and_searchable_pdf(
    ctx: Context, web: FlaskClient, caseworker: StaffUser
) -> None:
    original = text_pdf([["Bescheid über die Aufenthaltserlaubnis"]] * 3)
    doc_id = _ready(ctx, web, caseworker, original)
    paths = {
        f"/documents/{doc_id}/original": original,
        f"/api/v1/documents/{doc_id}/content": original,
    }
    searchable = web.get(f"/documents/{doc_id}/searchable.pdf")
    assert searchable.status_code == 200
    assert searchable.headers["Content-Disposition"].startswith("attachment")
    paths[f"/documents/{doc_id}/searchable.pdf"] = searchable.data
    for path, full in paths.items():
        headers = {"Authorization": f"Bearer {caseworker.token}"} if "/api/" in path else {}
        whole = web.get(path, headers=headers)
        assert whole.status_code == 200, path
        assert whole.data == full
        assert whole.headers["Accept-Ranges"] == "bytes"
        etag = whole.headers["ETag"]
        part = web.get(path, headers={**headers, "Range": "bytes=10-19"})
        assert part.status_code == 206, path
        assert part.data == full[10:20]
        assert part.headers["Content-Range"] == f"bytes 10-19/{len(full)}"
        tail = web.get(path, headers={**headers, "Range": "bytes=-7"})
        assert tail.data == full[-7:]
        assert (
            web.get(path, headers={**headers, "Range": f"bytes={len(full) + 5}-"}).status_code
            == 416
        )
        assert web.get(path, headers={**headers, "If-None-Match": etag}).status_code == 304


def test_render_failure_leaves_the_document_ready_with_its_text(
    ctx: Context,
    web: FlaskClient,
    caseworker: StaffUser,
    extractor: ScriptedExtractor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The scripted extractor's "searchable PDF" is a few bytes of garbage: a corrupt blob.
    extractor.pages = ("Der Text bleibt lesbar",)
    doc_id = _ready(ctx, web, caseworker, minimal_pdf())

    outcome = page_images.render_document_pages(ctx, doc_id)

    assert outcome.status == "failed"
    assert "page images cannot be rendered" in caplog.text
    with ctx.uow() as uow:
        document = uow.session.get(Document, doc_id)
        assert document is not None
        assert document.status == "ready"
        assert document.pages_rendered  # a broken file is not retried forever
    html = web.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Der Text bleibt lesbar" in html
    assert "/pages/1/image" not in html
    text = web.get(f"/api/v1/documents/{doc_id}/text", headers=caseworker.headers).json
    assert text["text"] == "Der Text bleibt lesbar"
    found = web.get("/api/v1/search?q=lesbar", headers=caseworker.headers).json
    assert [hit["document_id"] for hit in found["hits"]] == [doc_id]


def test_ready_documents_are_handed_to_rendering_and_the_reconciler_catches_up(
    ctx: Context, web: FlaskClient, caseworker: StaffUser
) -> None:
    rendered: list[int] = []
    queued = replace(ctx, dispatch_page_images=rendered.append)
    first = _upload(web, caseworker, minimal_pdf())
    assert pipeline.process_document(queued, first).status == "ready"
    assert rendered == [first]

    second = _ready(ctx, web, caseworker, minimal_pdf("zwei"))  # its message got lost
    rendered.clear()
    assert page_images.reconcile_page_images(queued) == [first, second]
    assert page_images.reconcile_page_images(queued, limit=1) == [first]
    page_images.render_document_pages(replace(ctx, page_renderer=FakePageRenderer()), first)
    assert page_images.reconcile_page_images(queued) == [second]


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_300_page_document_opens_like_a_short_one(
    ctx: Context,
    web: FlaskClient,
    caseworker: StaffUser,
    extractor: ScriptedExtractor,
    engine: Engine,
) -> None:
    line = "Anlage zum Antrag auf Aufenthaltserlaubnis, Seite {n} von {total}. " * 8
    sizes, queries = {}, {}
    for pages in (30, 300):
        extractor.pages = tuple(line.format(n=n, total=pages) for n in range(1, pages + 1))
        doc_id = _ready(ctx, web, caseworker, minimal_pdf(), title=f"Akte {pages}")
        renderer = FakePageRenderer(pages)
        page_images.render_document_pages(replace(ctx, page_renderer=renderer), doc_id)
        with _counting(engine) as statements:
            response = web.get(f"/documents/{doc_id}?q=Aufenthaltserlaubnisse")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        sizes[pages], queries[pages] = len(html.encode()), len(statements)
        # the text of one window of pages, the rail for all of them
        assert html.count('class="viewer-page hit"') == 20
        assert html.count('/thumb" width="180"') == pages
        assert html.count('loading="lazy"') == pages + 20

    assert queries[300] == queries[30]
    # each further page adds only its rail entry (a link and a lazy thumbnail)
    per_extra_page = (sizes[300] - sizes[30]) / 270
    assert per_extra_page < 400, sizes
    assert sizes[300] < 250_000, sizes


@needs_tesseract
def test_hits_from_real_ocr_are_boxed_on_the_page_and_marked_in_the_text(
    ctx: Context, web: FlaskClient, caseworker: StaffUser
) -> None:
    scan = render_page(letter_lines(1), dpi=200)
    doc_id = _upload(web, caseworker, image_pdf([scan], dpi=200))
    ocr_ctx = replace(ctx, extractor=TesseractExtractor(languages="deu", processes=1))
    assert pipeline.process_document(ocr_ctx, doc_id).status == "ready"
    assert page_images.render_document_pages(ctx, doc_id).status == "rendered"

    # an inflected form finds the word through the search analyser's stemming
    html = web.get(f"/documents/{doc_id}?q=Aufenthaltserlaubnisse").get_data(as_text=True)

    boxes = re.findall(
        r'<rect class="hitbox" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', html
    )
    assert len(boxes) >= 1
    left, top, width, height = (float(v) for v in boxes[0])
    # the first paragraph's word sits in the upper half of the page, inside the margins
    assert 5 < left < 95
    assert 5 < top < 50
    assert 0 < width < 60
    assert 0 < height < 5
    assert re.search(r"<mark>Aufenthaltserlaubnis\w*</mark>", html)
    assert 'class="hit-link"' in html
    with ctx.uow() as uow:
        assert (
            uow.session.execute(
                select(func.count()).where(
                    DocumentPage.image_sha256.is_not(None), DocumentPage.width == 1200
                )
            ).scalar_one()
            == 1
        )

    # a word that is not on the page: no boxes, no marks, a clear message
    none = web.get(f"/documents/{doc_id}?q=Fahrerlaubnis").get_data(as_text=True)
    assert "hitbox" not in none
    assert "<mark>" not in none


def test_damaged_original_answers_503_before_any_byte(
    ctx: Context, web: FlaskClient, caseworker: StaffUser, blobs: InMemoryBlobStore
) -> None:
    original = minimal_pdf("beschädigt")
    doc_id = _ready(ctx, web, caseworker, original)
    blobs.corrupt(hashlib.sha256(original).hexdigest())

    response = web.get(f"/documents/{doc_id}/original", headers={"Range": "bytes=0-9"})

    assert response.status_code == 503
    assert b"PDF-1" not in response.data  # not even the damaged bytes went out


def test_damaged_blob_is_not_retried_and_an_outage_is(
    ctx: Context,
    web: FlaskClient,
    caseworker: StaffUser,
    blobs: InMemoryBlobStore,
) -> None:
    broken = _ready(ctx, web, caseworker, minimal_pdf("eins"))
    with ctx.uow() as uow:
        derived = uow.session.execute(
            select(DerivedFile.sha256).where(DerivedFile.kind == "searchable_pdf")
        ).scalar_one()
    blobs.corrupt(derived)
    assert page_images.render_document_pages(ctx, broken).status == "failed"

    later = _ready(ctx, web, caseworker, text_pdf([["zwei"]]))
    blobs.unavailable = True
    try:
        assert page_images.render_document_pages(ctx, later).status == "retry"
    finally:
        blobs.unavailable = False
    assert page_images.reconcile_page_images(ctx) == [later]
