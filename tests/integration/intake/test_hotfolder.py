"""The hot folder: generated scans dropped in, taken once stable, by exactly one watcher.

The real sandboxed splitter reads the generated batches here (QR codes on rendered
pages); the extractor is the scripted fake except in the end-to-end test with tesseract.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ecase.bootstrap import upgrade_database
from ecase.cli import main
from ecase.models import ScanBatch
from ecase.services.casefile import cases, persons
from ecase.services.context import Context
from ecase.services.intake import hotfolder, pipeline, scanning
from ecase.services.intake.hotfolder import HotFolder
from ocr import Limits, TesseractExtractor
from storage.memory import InMemoryBlobStore
from tests.conftest import StaffUser
from tests.support.files import minimal_pdf
from tests.support.scans import UNKNOWN_REFERENCE, as_pdf, as_tiff, morning_batch
from tests.support.tesseract import require_tesseract

PROFILES = """
[profiles.farbe-300dpi]
resolution_dpi = 300
colour_mode = "colour"
clerk = "clara"
"""


@pytest.fixture
def clerk(make_user: Callable[..., StaffUser]) -> StaffUser:
    return make_user("clerk", ("Poststelle",), name="clara")


@pytest.fixture
def inbox(ctx: Context) -> Path:
    path = ctx.settings.inbox_path
    path.mkdir(parents=True, exist_ok=True)
    (ctx.settings.home / hotfolder.PROFILES_FILE).write_text(PROFILES, encoding="utf-8")
    return path


def _case(ctx: Context, user: StaffUser, name: str) -> tuple[int, str]:
    person = persons.create_person(ctx, user.actor, persons.NewPerson(name, birth_date=None))
    case = cases.create_case(ctx, user.actor, cases.NewCase(person.id, "Aufenthaltserlaubnis"))
    return case.id, case.reference


def _leftovers(inbox: Path) -> list[str]:
    """Files anywhere under the inbox except rejected ones and heartbeats."""
    return sorted(
        str(p.relative_to(inbox))
        for p in inbox.rglob("*")
        if p.is_file() and hotfolder.FAILED_DIR not in p.parts and p.name != hotfolder.HEARTBEAT
    )


def test_a_scanned_batch_is_taken_split_and_filed(
    ctx: Context, inbox: Path, caseworker: StaffUser, clerk: StaffUser, dispatched: list[int]
) -> None:
    case_id, reference = _case(ctx, caseworker, "Haddad")
    content = as_pdf(morning_batch(reference))
    (inbox / "farbe-300dpi").mkdir()
    (inbox / "farbe-300dpi" / "stapel-0800.pdf").write_bytes(content)

    taken = hotfolder.process_once(ctx, settle_seconds=0)
    assert [(t.name, t.profile, t.reason) for t in taken] == [
        ("stapel-0800.pdf", "farbe-300dpi", None)
    ]
    assert _leftovers(inbox) == [], "the file is removed once its batch is recorded"
    batch_id = taken[0].batch_id
    assert batch_id is not None
    assert scanning.split_batch(ctx, batch_id).status == "done"

    view = scanning.get_batch(ctx, clerk.actor, batch_id)
    assert (view.profile, view.resolution_dpi, view.colour_mode) == ("farbe-300dpi", 300, "colour")
    assert (view.scanned_by, view.channel, view.page_count) == ("clara", "hotfolder", 9)
    assert view.source_filename == "stapel-0800.pdf"
    assert [(d.pages, d.case_id) for d in view.documents] == [
        ((1,), None),
        ((3, 4), case_id),
        ((6,), None),
        ((8, 9), None),
    ]
    warning = view.documents[2].intake_warning
    assert warning == f"Separator sheet names unknown Aktenzeichen {UNKNOWN_REFERENCE}"
    assert [d.intake_warning for d in view.documents if d.id != view.documents[2].id] == [None] * 3
    assert view.split_log[5].note, "the payment QR code on page 6 is noted and ignored"
    assert dispatched == [d.id for d in view.documents]

    # the protocol exports parse and carry every hash
    rows = list(
        csv.reader(
            io.StringIO(scanning.protocol_csv(ctx, clerk.actor, batch_id).decode("utf-8-sig")),
            delimiter=";",
        )
    )
    cells = {cell for row in rows for cell in row}
    assert {view.source_sha256, *(d.sha256 for d in view.documents)} <= cells
    pdf = pypdf.PdfReader(io.BytesIO(scanning.protocol_pdf(ctx, clerk.actor, batch_id)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert view.source_sha256 in text
    assert all(d.sha256 in text for d in view.documents)

    # the same file scanned in again: recorded, flagged, not filed twice
    (inbox / "stapel-0800-nochmal.pdf").write_bytes(content)
    again = hotfolder.process_once(ctx, settle_seconds=0)
    assert again[0].batch_id is not None
    duplicate = scanning.get_batch(ctx, clerk.actor, again[0].batch_id)
    assert duplicate.duplicate_of_id == batch_id
    assert duplicate.status == "done"
    assert duplicate.documents == ()
    assert scanning.split_batch(ctx, duplicate.id).status == "skipped"


def test_a_multipage_tiff_becomes_pdf_documents(
    ctx: Context, inbox: Path, caseworker: StaffUser, clerk: StaffUser
) -> None:
    _case_id, reference = _case(ctx, caseworker, "Osei")
    (inbox / "stapel.tif").write_bytes(as_tiff(morning_batch(reference)))
    (batch,) = hotfolder.process_once(ctx, settle_seconds=0)
    assert batch.batch_id is not None
    scanning.split_batch(ctx, batch.batch_id)
    view = scanning.get_batch(ctx, clerk.actor, batch.batch_id)
    assert view.media_type == "image/tiff"
    assert view.profile == ""
    assert view.scanned_by is None
    assert [d.pages for d in view.documents] == [(1,), (3, 4), (6,), (8, 9)]
    with ctx.blobs.open(view.documents[1].sha256) as stream:
        assert len(pypdf.PdfReader(io.BytesIO(stream.read())).pages) == 2


def test_empty_and_foreign_files_are_rejected_with_a_reason(ctx: Context, inbox: Path) -> None:
    (inbox / "leer.pdf").write_bytes(b"")
    (inbox / "notizen.txt").write_text("Bitte zurückrufen", encoding="utf-8")
    (inbox / "farbe-300dpi").mkdir()
    (inbox / "farbe-300dpi" / "muell.pdf").write_bytes(os.urandom(2048))
    for ignored in (".versteckt.pdf", "~lock.pdf", "stapel.pdf.part", "stapel.tmp"):
        (inbox / ignored).write_bytes(minimal_pdf("noch nicht fertig"))

    taken = hotfolder.process_once(ctx, settle_seconds=0)
    assert sorted((t.name, t.batch_id) for t in taken) == [
        ("leer.pdf", None),
        ("muell.pdf", None),
        ("notizen.txt", None),
    ]
    failed = inbox / hotfolder.FAILED_DIR
    assert sorted(p.name for p in failed.iterdir()) == [
        "farbe-300dpi-muell.pdf",
        "farbe-300dpi-muell.pdf.reason.txt",
        "leer.pdf",
        "leer.pdf.reason.txt",
        "notizen.txt",
        "notizen.txt.reason.txt",
    ]
    empty_reason = (failed / "leer.pdf.reason.txt").read_text(encoding="utf-8")
    assert "Die Datei ist leer." in empty_reason
    assert "The file is empty." in empty_reason
    foreign_reason = (failed / "notizen.txt.reason.txt").read_text(encoding="utf-8")
    assert "PDF, TIFF, PNG" in foreign_reason
    assert "not accepted" in foreign_reason
    assert (failed / "notizen.txt").read_text(encoding="utf-8") == "Bitte zurückrufen"
    assert _leftovers(inbox) == [
        ".versteckt.pdf",
        "stapel.pdf.part",
        "stapel.tmp",
        "~lock.pdf",
    ], "hidden and temporary files stay untouched"
    with ctx.uow() as uow:
        assert uow.session.execute(select(ScanBatch.id)).first() is None

    # a second rejected file of the same name does not overwrite the first
    (inbox / "leer.pdf").write_bytes(b"")
    hotfolder.process_once(ctx, settle_seconds=0)
    assert (failed / "leer (2).pdf.reason.txt").is_file()


def test_a_file_still_growing_is_not_taken(ctx: Context, inbox: Path) -> None:
    folder = HotFolder.for_context(ctx)
    path = inbox / "wird-geschrieben.pdf"
    content = minimal_pdf("ein langer Stapel")
    path.write_bytes(content[:100])
    assert folder.poll() == [], "first sight: never taken"
    with path.open("ab") as handle:
        handle.write(content[100:200])
    assert folder.poll() == [], "it grew since the last poll"
    with path.open("ab") as handle:
        handle.write(content[200:])
    assert folder.poll() == []
    (taken,) = folder.poll()
    assert taken.batch_id is not None
    assert not path.exists()


def test_two_watchers_take_each_file_exactly_once(ctx: Context, inbox: Path) -> None:
    names = [f"stapel-{i}.pdf" for i in range(8)]
    for name in names:
        (inbox / name).write_bytes(minimal_pdf(name))
    watchers = [HotFolder.for_context(ctx) for _ in range(2)]
    results: list[list[hotfolder.Taken]] = [[], []]
    start = threading.Barrier(2)

    def watch(index: int) -> None:
        start.wait()
        for _ in range(40):
            results[index] += watchers[index].poll()
            if not any(inbox.glob("*.pdf")):
                break

    threads = [threading.Thread(target=watch, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    recorded = [t for r in results for t in r if t.batch_id is not None]
    assert sorted(t.name for t in recorded) == sorted(names)
    with ctx.uow() as uow:
        sources = list(uow.session.execute(select(ScanBatch.source_filename)).scalars())
        duplicates = uow.session.execute(
            select(ScanBatch.id).where(ScanBatch.duplicate_of_id.is_not(None))
        ).first()
    assert sorted(sources) == sorted(names)
    assert duplicates is None
    assert _leftovers(inbox) == []


def test_files_of_a_dead_worker_are_taken_over(ctx: Context, inbox: Path) -> None:
    claimed = inbox / hotfolder.CLAIMED_DIR
    dead = claimed / "host-123-dead"
    (dead / "farbe-300dpi").mkdir(parents=True)
    (dead / "farbe-300dpi" / "0f1e2d3c4b5a69788796a5b4c3d2e1f0-brief.pdf").write_bytes(
        minimal_pdf("liegengeblieben")
    )
    (dead / hotfolder.HEARTBEAT).touch()
    an_hour_ago = time.time() - 3600
    os.utime(dead / hotfolder.HEARTBEAT, (an_hour_ago, an_hour_ago))
    alive = claimed / "host-456-alive"
    alive.mkdir()
    (alive / "aaaa-in-arbeit.pdf").write_bytes(minimal_pdf("in Arbeit"))
    (alive / hotfolder.HEARTBEAT).touch()

    folder = HotFolder.for_context(ctx, stale_after=600)
    (taken,) = folder.poll()
    assert (taken.name, taken.profile) == ("brief.pdf", "farbe-300dpi")
    assert taken.batch_id is not None
    assert not dead.exists()
    assert (alive / "aaaa-in-arbeit.pdf").is_file(), "a live worker's claim is left alone"


def test_a_broken_profiles_file_does_not_stop_the_intake(ctx: Context, inbox: Path) -> None:
    (ctx.settings.home / hotfolder.PROFILES_FILE).write_text("[profiles.x\n", encoding="utf-8")
    with pytest.raises(hotfolder.ProfileError):
        hotfolder.load_profiles(ctx.settings.home / hotfolder.PROFILES_FILE)
    (inbox / "farbe-300dpi").mkdir()
    (inbox / "farbe-300dpi" / "stapel.pdf").write_bytes(minimal_pdf("trotzdem"))
    (taken,) = hotfolder.process_once(ctx, settle_seconds=0)
    assert taken.batch_id is not None


def test_cli_hotfolder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ECASE_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    database = f"sqlite:///{home / 'ecase.sqlite3'}"
    monkeypatch.setenv("ECASE_HOME", str(home))
    monkeypatch.setenv("ECASE_DATABASE_URL", database)
    monkeypatch.setenv("ECASE_QUEUE_URL", f"sqlite:///{home / 'queue.sqlite3'}")
    home.mkdir()
    upgrade_database(database)
    (home / "inbox").mkdir()
    (home / "inbox" / "stapel.pdf").write_bytes(minimal_pdf("CLI"))
    (home / "inbox" / "leer.pdf").write_bytes(b"")
    result = CliRunner().invoke(main, ["hotfolder", "--once", "--settle", "0"])
    assert result.exit_code == 0, result.output
    assert "stapel.pdf\tbatch 1" in result.output
    assert "leer.pdf\trejected: The file is empty." in result.output
    assert "1 batch(es) taken" in result.output
    assert not (home / "inbox" / "stapel.pdf").exists()


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_end_to_end_with_tesseract(
    ctx: Context, inbox: Path, caseworker: StaffUser, clerk: StaffUser
) -> None:
    """Hot folder → sandboxed split → real OCR: the filed documents are readable text."""
    require_tesseract()
    extractor = TesseractExtractor(processes=2, limits=Limits(timeout_s=60, page_timeout_s=30))
    real = dataclasses.replace(ctx, extractor=extractor)
    case_id, reference = _case(real, caseworker, "Haddad")
    (inbox / "stapel.pdf").write_bytes(as_pdf(morning_batch(reference, dpi=200), dpi=200))
    (taken,) = hotfolder.process_once(real, settle_seconds=0)
    assert taken.batch_id is not None
    assert scanning.split_batch(real, taken.batch_id).status == "done"
    view = scanning.get_batch(real, clerk.actor, taken.batch_id)
    for document in view.documents:
        assert pipeline.process_document(real, document.id).status == "ready"
    filed = view.documents[1]
    assert filed.case_id == case_id
    with real.uow() as uow:
        entry = pipeline.indexed_document(uow.session, filed.id)
    assert entry is not None
    assert "Landratsamt" in entry.text
    assert "Seite 2" in entry.text, "the page scanned upside down is read too"


def test_a_storage_outage_leaves_the_file_in_the_hot_folder(
    ctx: Context, inbox: Path, blobs: InMemoryBlobStore
) -> None:
    content = minimal_pdf("Ausfall")
    (inbox / "stapel.pdf").write_bytes(content)
    blobs.unavailable = True
    (taken,) = hotfolder.process_once(ctx, settle_seconds=0)
    assert (taken.batch_id, taken.reason) == (None, hotfolder.RETRY)
    assert (inbox / "stapel.pdf").read_bytes() == content
    assert not (inbox / hotfolder.FAILED_DIR / "stapel.pdf").exists()
    blobs.unavailable = False
    (taken,) = hotfolder.process_once(ctx, settle_seconds=0)
    assert taken.batch_id is not None
    assert not (inbox / "stapel.pdf").exists()
