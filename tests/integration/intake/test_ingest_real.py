"""The pipeline with the real sandboxed tesseract extractor: scans, hostile files, the corpus.

Every file either becomes ``ready`` or ``failed`` with a reason a clerk can read, and a bad
file never stops the documents queued after it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from ecase.services.context import Context
from ecase.services.intake import pipeline
from ocr import Limits, TesseractExtractor, samples
from tests.conftest import StaffUser
from tests.support.corpus import corpus_files
from tests.support.tesseract import require_tesseract

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite"])
def engine(request: pytest.FixtureRequest, sqlite_engine: object) -> object:
    """The extractor is under test here, not the database: SQLite only."""
    return sqlite_engine


@pytest.fixture
def extractor() -> TesseractExtractor:
    require_tesseract()
    return TesseractExtractor(processes=2, limits=Limits(timeout_s=60, page_timeout_s=30))


@pytest.fixture
def case_id(client: FlaskClient, caseworker: StaffUser) -> int:
    person = client.post(
        "/api/v1/persons",
        json={"family_name": "Osei", "birth_date": None},
        headers=caseworker.headers,
    ).json
    return int(
        client.post(
            "/api/v1/cases",
            json={"person_id": person["id"], "subject": "Visum"},
            headers=caseworker.headers,
        ).json["id"]
    )


def _upload(
    client: FlaskClient, user: StaffUser, case_id: int, data: bytes, name: str
) -> int | str:
    response = client.post(
        f"/api/v1/cases/{case_id}/documents",
        data={"file": (io.BytesIO(data), name)},
        headers=user.headers,
        content_type="multipart/form-data",
    )
    if response.status_code != 202:
        return str(response.json["message"])
    return int(response.json["id"])


def _meta(client: FlaskClient, user: StaffUser, doc_id: int) -> dict[str, object]:
    return dict(client.get(f"/api/v1/documents/{doc_id}", headers=user.headers).json)


def test_rotated_scan_is_read_and_found(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, case_id: int
) -> None:
    upright = samples.render_page(samples.letter_lines(1), dpi=200)
    scan = samples.image_pdf([upright.rotate(180)], dpi=200)
    doc_id = _upload(client, caseworker, case_id, scan, "kopfueber.pdf")
    assert isinstance(doc_id, int)
    assert pipeline.process_document(ctx, doc_id).status == "ready"
    text = client.get(f"/api/v1/documents/{doc_id}/text", headers=caseworker.headers).json
    assert text["pages"][0]["source"] == "ocr"
    assert text["pages"][0]["rotation"] == 180
    assert "Landratsamt" in text["text"]
    hits = client.get("/api/v1/search?q=Landratsamt", headers=caseworker.headers).json["hits"]
    assert [h["document_id"] for h in hits] == [doc_id]


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("bomb.png", samples.decompression_bomb_png),
        ("circular.pdf", samples.circular_page_tree_pdf),
        (
            "locked.pdf",
            lambda: samples.encrypt_pdf(
                samples.text_pdf([["geheim"]]), user_password="x1", owner_password="o1"
            ),
        ),
        ("truncated.pdf", lambda: samples.text_pdf([["abgeschnitten"]])[:200]),
    ],
)
def test_hostile_file_fails_alone_and_the_next_document_is_processed(  # noqa: PLR0917  # pytest injects fixtures
    ctx: Context,
    client: FlaskClient,
    caseworker: StaffUser,
    case_id: int,
    name: str,
    make: Callable[[], bytes],
) -> None:
    bad = _upload(client, caseworker, case_id, make(), name)
    good = _upload(
        client,
        caseworker,
        case_id,
        samples.text_pdf([["Ein ganz normaler Antrag auf Verlaengerung"]]),
        "ok.pdf",
    )
    assert isinstance(bad, int)
    assert isinstance(good, int)
    assert pipeline.process_document(ctx, bad).status == "failed"
    assert pipeline.process_document(ctx, good).status == "ready"
    meta = _meta(client, caseworker, bad)
    assert meta["status"] == "failed"
    assert isinstance(meta["error"], str)
    assert len(meta["error"]) > 10
    assert "Traceback" not in meta["error"]
    original = client.get(f"/api/v1/documents/{bad}/content", headers=caseworker.headers)
    assert original.status_code == 200, "the original stays downloadable"


CORPUS = corpus_files()


@pytest.mark.parametrize("path", CORPUS, ids=[p.parent.name + "/" + p.name for p in CORPUS])
def test_every_corpus_file_ingests_or_fails_with_a_reason(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, case_id: int, path: Path
) -> None:
    result = _upload(client, caseworker, case_id, path.read_bytes(), path.name)
    if isinstance(result, str):
        assert "PDF, TIFF, PNG or JPEG" in result or "empty" in result
        return
    outcome = pipeline.process_document(ctx, result)
    meta = _meta(client, caseworker, result)
    assert outcome.status in {"ready", "failed"}
    assert meta["status"] == outcome.status
    if outcome.status == "ready":
        assert isinstance(meta["page_count"], int)
        assert meta["page_count"] >= 1
    else:
        assert meta["error"]
