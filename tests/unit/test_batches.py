"""Splitting scanned batches: the real splitter (in-process and sandboxed) and its fake.

The contract tests run over both, so the fake the service tests use promises what the
real one does: every page reported once in order, each ordinary page in exactly one
document, separator pages in none, document files inside the output directory.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest

from ocr import (
    BatchSplit,
    BatchSplitter,
    CorruptDocumentError,
    FakeBatchSplitter,
    ReportSection,
    SandboxedBatchSplitter,
    Separator,
    UnsupportedMediaTypeError,
    render_report_pdf,
)
from ocr.batch_samples import letter_page, sheet_page
from ocr.batches import NOTE_FOREIGN, split_batch, split_from_json, split_to_json
from tests.support.scans import FOREIGN_QR, UNKNOWN_REFERENCE, as_pdf, as_tiff, morning_batch

REFERENCE = "MA-1234-2026-00017"


@pytest.fixture(scope="module")
def batch_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "stapel.pdf"
    path.write_bytes(as_pdf(morning_batch(REFERENCE)))
    return path


@pytest.fixture(scope="module")
def batch_tiff(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "stapel.tif"
    path.write_bytes(as_tiff(morning_batch(REFERENCE)))
    return path


class InProcess:
    def split(self, source: Path, outdir: Path) -> BatchSplit:
        return split_batch(source, outdir)


SPLITTERS: dict[str, Callable[[], BatchSplitter]] = {
    "in-process": InProcess,
    "sandboxed": SandboxedBatchSplitter,
    "fake": lambda: FakeBatchSplitter(
        [None, Separator("case", REFERENCE), None, None, Separator("sep"), None]
    ),
}


@pytest.mark.parametrize("name", SPLITTERS)
def test_splitter_contract(name: str, batch_pdf: Path, tmp_path: Path) -> None:
    before = batch_pdf.read_bytes()
    result = SPLITTERS[name]().split(batch_pdf, tmp_path / "out")
    assert batch_pdf.read_bytes() == before, "the source is never modified"
    assert [p.number for p in result.pages] == list(range(1, result.page_count + 1))
    ordinary = [p.number for p in result.pages if p.kind == "page"]
    assert sorted(n for d in result.documents for n in d.pages) == ordinary
    for page in result.pages:
        if page.kind == "separator":
            assert page.document is None
            assert page.payload.startswith("ECASE:")
        else:
            assert page.document is not None
            assert page.number in result.documents[page.document].pages
    for index, document in enumerate(result.documents):
        assert document.index == index
        assert document.path.resolve().is_relative_to((tmp_path / "out").resolve())
        assert len(pypdf.PdfReader(document.path).pages) == len(document.pages)
    assert result.media_type == "application/pdf"


@pytest.mark.parametrize("fixture", ["batch_pdf", "batch_tiff"])
def test_a_morning_batch_is_split_at_its_sheets(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    source: Path = request.getfixturevalue(fixture)
    result = split_batch(source, tmp_path)
    assert result.page_count == 9
    assert [p.kind for p in result.pages] == [
        "page", "separator", "page", "page", "separator", "page", "separator", "page", "page",
    ]  # fmt: skip
    assert [(d.pages, d.case_reference) for d in result.documents] == [
        ((1,), None),
        ((3, 4), REFERENCE),
        ((6,), UNKNOWN_REFERENCE),
        ((8, 9), None),
    ]
    assert result.pages[1].payload == f"ECASE:CASE:{REFERENCE}"
    assert result.pages[6].separator == "sep"
    assert result.pages[5].note == NOTE_FOREIGN, f"{FOREIGN_QR} is noted, not obeyed"
    assert result.separator_count == 3


def test_pdf_pages_are_copied_bit_exact(batch_pdf: Path, tmp_path: Path) -> None:
    original = pypdf.PdfReader(batch_pdf)
    result = split_batch(batch_pdf, tmp_path)
    second = pypdf.PdfReader(result.documents[1].path)

    def image_bytes(page: pypdf.PageObject) -> list[bytes]:
        xobjects = page["/Resources"]["/XObject"]
        return [xobjects[name].get_object().get_data() for name in sorted(xobjects)]

    for copied, number in zip(second.pages, result.documents[1].pages, strict=True):
        source_page = original.pages[number - 1]
        assert image_bytes(copied) == image_bytes(source_page)
        assert copied.get_contents().get_data() == source_page.get_contents().get_data()


def test_a_batch_of_only_separator_sheets_plans_no_document(tmp_path: Path) -> None:
    source = tmp_path / "sheets.pdf"
    source.write_bytes(as_pdf([sheet_page(None), sheet_page(REFERENCE)]))
    result = split_batch(source, tmp_path / "out")
    assert result.documents == ()
    assert result.separator_count == 2


def test_the_sandbox_refuses_non_scans_and_damaged_files(tmp_path: Path) -> None:
    splitter = SandboxedBatchSplitter()
    text = tmp_path / "notes.pdf"
    text.write_text("Einkaufsliste: Milch, Brot", encoding="utf-8")
    with pytest.raises(UnsupportedMediaTypeError):
        splitter.split(text, tmp_path / "a")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n%%EOF")
    with pytest.raises(CorruptDocumentError):
        splitter.split(broken, tmp_path / "b")


def test_a_split_from_the_child_is_not_trusted(batch_pdf: Path, tmp_path: Path) -> None:
    result = split_batch(batch_pdf, tmp_path / "out")
    data = split_to_json(result)
    assert split_from_json(json.loads(json.dumps(data)), tmp_path / "out") == result
    outside = json.loads(json.dumps(data))
    outside["documents"][0]["path"] = str(batch_pdf)
    with pytest.raises(ValueError, match="outdir"):
        split_from_json(outside, tmp_path / "out")
    lost_page = json.loads(json.dumps(data))
    lost_page["documents"][1]["pages"] = [3]
    with pytest.raises(ValueError, match="disagree"):
        split_from_json(lost_page, tmp_path / "out")


def test_report_pdf_wraps_onto_numbered_pages() -> None:
    lines = tuple(f"Dokument {i}: SHA-256 {'ab' * 32}" for i in range(150))
    data = render_report_pdf("Scanprotokoll Stapel 7", [ReportSection("Dokumente", lines)])
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Scanprotokoll Stapel 7" in text
    assert f"Seite {len(reader.pages)} von {len(reader.pages)}" in text
    assert text.count("ab" * 32) == 150


def test_an_unreadable_separator_code_splits_nothing(tmp_path: Path) -> None:
    """A blotted code is not guessed at: the page stays in its document (the clerk checks)."""
    source = tmp_path / "fleck.pdf"
    source.write_bytes(
        as_pdf([letter_page(page=1), letter_page(page=2, qr_text="ECASE:SEP", damaged_qr=True)])
    )
    result = split_batch(source, tmp_path / "out")
    assert [p.kind for p in result.pages] == ["page", "page"]
    assert [d.pages for d in result.documents] == [(1, 2)]
