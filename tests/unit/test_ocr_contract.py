"""The ocr contract: value objects travel safely, the fake behaves like the port, the leaf
stays a leaf."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader

from ocr import (
    CorruptDocumentError,
    EncryptedDocumentError,
    ExtractionError,
    ExtractionResult,
    Extractor,
    FakeExtractor,
    Limits,
    OcrEngineError,
    PageText,
    ResourceLimitError,
    UnsupportedMediaTypeError,
    Word,
    samples,
)
from ocr.engine import parse_tsv
from ocr.model import result_from_json, result_to_json
from ocr.pdfout import overlay_transform

REPO = Path(__file__).resolve().parents[2]


def make_result(workdir: Path) -> ExtractionResult:
    pdf = workdir / "searchable.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    return ExtractionResult(
        media_type="application/pdf",
        page_count=2,
        pages=(
            PageText(number=1, text="Aufenthaltserlaubnis", source="text-layer"),
            PageText(
                number=2,
                text="Straße Müller",
                source="ocr",
                rotation=180,
                confidence=0.93,
                words=(
                    Word("Straße", (0.1, 0.2, 0.3, 0.25), 0.95),
                    Word("Müller", (0.35, 0.2, 0.5, 0.25), 0.91),
                ),
            ),
        ),
        searchable_pdf=pdf,
    )


def test_result_survives_json_round_trip(tmp_path: Path) -> None:
    result = make_result(tmp_path)
    assert result_from_json(result_to_json(result), tmp_path) == result


def test_result_and_errors_are_picklable(tmp_path: Path) -> None:
    result = make_result(tmp_path)
    assert pickle.loads(pickle.dumps(result)) == result  # noqa: S301 - our own bytes
    error = ResourceLimitError("Zu groß.", code="image_too_large", detail="42 px")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(copy) is ResourceLimitError
    assert (str(copy), copy.code, copy.detail) == ("Zu groß.", "image_too_large", "42 px")


def test_child_result_pointing_outside_the_workdir_is_rejected(tmp_path: Path) -> None:
    data = result_to_json(make_result(tmp_path))
    data["searchable_pdf"] = "/etc/passwd"
    with pytest.raises(ValueError, match="workdir"):
        result_from_json(data, tmp_path)


@pytest.mark.parametrize(
    ("key", "value"),
    [("page_count", 3), ("page_count", "2"), ("pages", "nope"), ("media_type", None)],
)
def test_malformed_child_result_is_rejected(tmp_path: Path, key: str, value: object) -> None:
    data = result_to_json(make_result(tmp_path))
    data[key] = value
    with pytest.raises(ValueError, match=r"expected|numbered"):
        result_from_json(data, tmp_path)


def test_error_hierarchy_has_one_root() -> None:
    for cls in (
        UnsupportedMediaTypeError,
        EncryptedDocumentError,
        CorruptDocumentError,
        ResourceLimitError,
        OcrEngineError,
    ):
        assert issubclass(cls, ExtractionError)
        assert cls("x.").code == cls.default_code


def test_limits_reject_nonsense_and_scale_the_budget_with_pages() -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        Limits(timeout_s=0)
    limits = Limits(timeout_s=10, page_timeout_s=5)
    assert limits.budget_s(0, 2) == 10
    assert limits.budget_s(3, 2) == 20
    assert limits.budget_s(4, 4) == 15


def test_fake_returns_configured_pages_and_sniffs_media_type(tmp_path: Path) -> None:
    source = tmp_path / "scan.pdf"
    source.write_bytes(samples.text_pdf([["x"]]))
    fake: Extractor = FakeExtractor(pages=("Seite eins", "Seite zwei"), searchable_pdf=True)
    result = fake.extract(source, tmp_path / "work")
    assert result.media_type == "application/pdf"
    assert [p.text for p in result.pages] == ["Seite eins", "Seite zwei"]
    assert result.searchable_pdf is not None
    assert len(PdfReader(result.searchable_pdf).pages) == 2


def test_fake_answers_per_content_and_raises_configured_errors(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.png", tmp_path / "bad.pdf"
    good.write_bytes(b"\x89PNG\r\n\x1a\nGOOD")
    bad.write_bytes(b"%PDF-1.4 BAD")
    fake = FakeExtractor(
        by_content={
            good.read_bytes(): ["Müller"],
            bad.read_bytes(): EncryptedDocumentError("Passwortgeschützt."),
        }
    )
    assert fake.extract(good, tmp_path).pages[0].text == "Müller"
    with pytest.raises(EncryptedDocumentError):
        fake.extract(bad, tmp_path)
    assert fake.calls == [(good, tmp_path), (bad, tmp_path)]


def test_fake_refuses_unsupported_files_like_the_real_one(tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("hallo")
    with pytest.raises(UnsupportedMediaTypeError):
        FakeExtractor().extract(source, tmp_path)


def test_importing_ocr_loads_no_parser_and_no_forbidden_package() -> None:
    code = (
        "import sys, ocr, ocr.sandbox, ocr.tesseract, ocr.fake;"
        "print(' '.join(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = set(out.stdout.split())
    for heavy in ("pypdf", "pypdfium2", "PIL", "pytesseract"):
        assert heavy not in loaded, f"importing ocr loaded {heavy}"


def test_ocr_never_imports_the_app_or_other_leaves() -> None:
    code = (
        "import sys, pkgutil, importlib, ocr\n"
        "for m in pkgutil.walk_packages(ocr.__path__, 'ocr.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = set(out.stdout.split())
    assert not loaded & {"ecase", "flask", "sqlalchemy", "werkzeug", "storage", "search"}


def test_tsv_becomes_lines_paragraphs_and_page_relative_words() -> None:
    columns = "level page_num block_num par_num line_num word_num left top width height conf text"
    header = "\t".join(columns.split())
    rows = [
        "1\t1\t0\t0\t0\t0\t0\t0\t1000\t2000\t-1\t",
        "5\t1\t1\t1\t1\t1\t100\t200\t300\t50\t96.5\tSehr",
        "5\t1\t1\t1\t1\t2\t420\t200\t300\t50\t91\tgeehrte",
        "5\t1\t1\t1\t2\t1\t100\t300\t200\t50\t88\tFrau",
        "5\t1\t1\t2\t1\t1\t100\t500\t200\t50\t90\tMüller",
        "5\t1\t1\t2\t1\t2\t320\t500\t10\t50\t-1\t ",
    ]
    text, words = parse_tsv("\n".join([header, *rows]), (1000, 2000))
    assert text == "Sehr geehrte\nFrau\n\nMüller"
    assert [w.text for w in words] == ["Sehr", "geehrte", "Frau", "Müller"]
    assert words[0].bbox == (0.1, 0.1, 0.4, 0.125)
    assert words[0].confidence == 0.965


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_overlay_lands_on_the_displayed_page(rotation: int) -> None:
    # page with an offset crop box; an upright overlay corner must land where the viewer
    # shows the top left corner after turning the page by `rotation`
    page = PageObject.create_blank_page(width=600, height=800)
    page.mediabox.lower_left = (100, 50)
    page.mediabox.upper_right = (700, 850)
    displayed = (600, 800) if rotation in (0, 180) else (800, 600)
    overlay = PageObject.create_blank_page(width=displayed[0] / 2, height=displayed[1] / 2)
    matrix = overlay_transform(page, overlay, rotation)
    top_left_of_overlay = (0, displayed[1] / 2)
    x, y = matrix.apply_on(top_left_of_overlay)
    expected = {0: (100, 850), 90: (100, 50), 180: (700, 50), 270: (700, 850)}[rotation]
    assert (round(x), round(y)) == expected
