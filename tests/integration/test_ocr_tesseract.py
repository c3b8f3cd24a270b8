"""Real tesseract on generated German scans: text, rotation, words and searchable PDFs."""

from __future__ import annotations

import ctypes
import hashlib
import io
import os
import time
from functools import cache
from pathlib import Path

import pypdf
import pypdfium2
import pypdfium2.raw as pdfium_raw
import pytest
from PIL import Image

from ocr import (
    ExtractionResult,
    Limits,
    OcrEngineError,
    ResourceLimitError,
    TesseractExtractor,
    extract_in_sandbox,
    samples,
)
from tests.support.tesseract import needs_tesseract

pytestmark = needs_tesseract

KEY_WORDS = ("aufenthaltserlaubnis", "müller", "goethestraße", "ausländerbehörde")
SMALL_PAGE = (8.27, 5.0)  # inches: half an A4 page keeps each OCR run well under a second


@cache
def letter_page(number: int = 1, mode: str = "L") -> Image.Image:
    return samples.render_page(samples.letter_lines(number), size_inches=SMALL_PAGE, mode=mode)


def found_key_words(text: str) -> set[str]:
    lowered = text.lower()
    return {word for word in KEY_WORDS if word in lowered}


def assert_readable(text: str) -> None:
    # OCR may garble a letter here and there; most key words must come through
    assert len(found_key_words(text)) >= 3, text


def run(tmp_path: Path, name: str, content: bytes, **kwargs: object) -> ExtractionResult:
    source = tmp_path / name
    source.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    result = extract_in_sandbox(source, tmp_path / "work", **kwargs)  # type: ignore[arg-type]
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest, "source was modified"
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) in ([], ["searchable.pdf"])
    return result


def searchable_text(result: ExtractionResult) -> list[str]:
    assert result.searchable_pdf is not None
    reader = pypdf.PdfReader(result.searchable_pdf)
    assert len(reader.pages) == result.page_count
    return [page.extract_text() for page in reader.pages]


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


def test_image_only_pdf_is_recognised_and_made_searchable(tmp_path: Path) -> None:
    pdf = samples.image_pdf([letter_page(1), letter_page(2)])
    result = run(tmp_path, "scan.pdf", pdf)
    assert result.media_type == "application/pdf"
    assert result.page_count == 2
    for page in result.pages:
        assert page.source == "ocr"
        assert page.rotation == 0
        assert_readable(page.text)
        assert page.confidence is not None
        assert page.confidence > 0.8
        assert page.words
        assert all(0 <= c <= 1 for w in page.words for c in w.bbox)
    assert "Seite 2" in result.pages[1].text
    for text in searchable_text(result):
        assert_readable(text)
    original = pypdf.PdfReader(io.BytesIO(pdf))
    derived = pypdf.PdfReader(str(result.searchable_pdf))
    # the original page (its image and size) is kept; only invisible text is added
    assert derived.pages[0].mediabox == original.pages[0].mediabox
    assert len(derived.pages[0].images) == 1


def test_multipage_fax_tiff_is_recognised_page_by_page(tmp_path: Path) -> None:
    pages = [letter_page(n).convert("1") for n in (1, 2, 3)]
    result = run(tmp_path, "fax.tif", samples.tiff(pages, compression="group4"), processes=2)
    assert result.media_type == "image/tiff"
    assert result.page_count == 3
    for number, page in enumerate(result.pages, start=1):
        assert page.number == number
        assert f"Seite {number}" in page.text
        assert_readable(page.text)
    assert len(searchable_text(result)) == 3


def test_upside_down_page_is_turned_and_read(tmp_path: Path) -> None:
    result = run(tmp_path, "upside-down.png", png(letter_page().rotate(180)))
    page = result.pages[0]
    assert page.rotation == 180
    assert_readable(page.text)
    assert_readable(searchable_text(result)[0])


@pytest.mark.parametrize(("turned_ccw", "expected_rotation"), [(90, 90), (270, 270)])
def test_sideways_colour_photo_is_turned_upright(
    tmp_path: Path, turned_ccw: int, expected_rotation: int
) -> None:
    image = letter_page(mode="RGB").rotate(turned_ccw, expand=True)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, dpi=(300, 300))
    result = run(tmp_path, "sideways.jpg", out.getvalue())
    page = result.pages[0]
    assert page.rotation == expected_rotation
    assert_readable(page.text)
    # word boxes are relative to the upright page: text lines are wider than tall
    long_words = [w for w in page.words if len(w.text) >= 6]
    assert all(w.bbox[2] - w.bbox[0] > w.bbox[3] - w.bbox[1] for w in long_words)


def test_mixed_pdf_keeps_the_typed_page_and_reads_the_scanned_one(tmp_path: Path) -> None:
    typed = samples.text_pdf([["Anschreiben der Ausländerbehörde", *samples.letter_lines(7)]])
    scanned = samples.image_pdf([letter_page(8).rotate(180)])
    result = run(tmp_path, "mixed.pdf", samples.merge_pdfs([typed, scanned]))
    first, second = result.pages
    assert first.source == "text-layer"
    assert first.words == ()
    assert "Aufenthaltserlaubnis" in first.text
    assert second.source == "ocr"
    assert second.rotation == 180
    assert "Seite 8" in second.text
    derived = searchable_text(result)
    assert derived[0] == pypdf.PdfReader(io.BytesIO(typed)).pages[0].extract_text()
    assert_readable(derived[1])
    assert pypdf.PdfReader(str(result.searchable_pdf)).pages[1].rotation == 180


def test_invisible_text_lies_over_the_words_on_rotated_pdf_pages(tmp_path: Path) -> None:
    page = letter_page()
    writer = pypdf.PdfWriter()
    # 1: stored sideways, shown upright through /Rotate 90
    writer.append(pypdf.PdfReader(io.BytesIO(samples.image_pdf([page.rotate(90, expand=True)]))))
    writer.pages[0].rotation = 90
    # 2: scanned sideways, no /Rotate: OCR must turn it
    writer.append(pypdf.PdfReader(io.BytesIO(samples.image_pdf([page.rotate(270, expand=True)]))))
    out = io.BytesIO()
    writer.write(out)
    result = run(tmp_path, "rotated.pdf", out.getvalue())
    assert [p.rotation for p in result.pages] == [0, 270]
    for index, page_text in enumerate(result.pages):
        word = next(w for w in page_text.words if w.text.startswith("Aufenthaltserlaubnis"))
        assert result.searchable_pdf is not None
        shown = _displayed_box(result.searchable_pdf, index, "Aufenthaltserlaubnis")
        assert shown is not None
        assert all(abs(a - b) < 0.03 for a, b in zip(shown, word.bbox, strict=True)), (
            shown,
            word.bbox,
        )


def test_blank_page_gives_empty_text_without_error(tmp_path: Path) -> None:
    blank = Image.new("L", (1200, 800), 255)
    result = run(tmp_path, "blank.png", png(blank))
    assert result.page_count == 1
    assert result.pages[0].text.strip() == ""
    assert result.pages[0].confidence is None


def test_page_with_one_sideways_word_does_not_confuse_orientation(tmp_path: Path) -> None:
    image = samples.render_page(["Müller"], size_inches=(3, 2)).rotate(90, expand=True)
    result = run(tmp_path, "one-word.png", png(image))
    assert result.pages[0].rotation in (0, 90)


@pytest.mark.parametrize("mode", ["P", "RGBA", "LA", "I;16", "CMYK"])
def test_unusual_image_modes_are_read(tmp_path: Path, mode: str) -> None:
    image = samples.render_page(samples.letter_lines(1, paragraphs=1), size_inches=(8.27, 2.5))
    if mode == "I;16":
        converted = image.convert("I").point(lambda v: v * 256).convert("I;16")
    else:
        converted = image.convert(mode)
    out = io.BytesIO()
    converted.save(out, format="TIFF", dpi=(300, 300))
    result = run(tmp_path, f"mode-{mode.replace(';', '')}.tif", out.getvalue())
    assert "aufenthaltserlaubnis" in result.pages[0].text.lower()


def test_deadline_stops_ocr_and_leaves_no_tesseract_behind(tmp_path: Path) -> None:
    pages = [samples.render_page(samples.letter_lines(n) * 2) for n in (1, 2, 3)]
    limits = Limits(timeout_s=0.3, page_timeout_s=0.1)
    start = time.monotonic()
    with pytest.raises(ResourceLimitError) as caught:
        run(tmp_path, "long.tif", samples.tiff(pages), limits=limits, processes=1)
    assert caught.value.code == "timeout"
    assert time.monotonic() - start < 10
    time.sleep(0.2)
    assert not _processes_mentioning(str(tmp_path)), "tesseract survived the deadline"


def test_missing_language_data_is_an_engine_error_not_a_bad_file(tmp_path: Path) -> None:
    with pytest.raises(OcrEngineError) as caught:
        run(tmp_path, "page.png", png(letter_page()), languages="zzz")
    assert "Sprachdaten" in str(caught.value)


def test_extractor_port_reads_a_scan(tmp_path: Path) -> None:
    source = tmp_path / "scan.png"
    source.write_bytes(png(letter_page()))
    result = TesseractExtractor(processes=1).extract(source, tmp_path / "work")
    assert_readable(result.text)


def _displayed_box(pdf: Path, index: int, word: str) -> tuple[float, ...] | None:
    """Where a viewer shows ``word`` on page ``index``, as fractions of the shown page."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[index]
        textpage = page.get_textpage()
        match = textpage.search(word, match_case=False).get_next()
        if not match:
            return None
        start, count = match
        boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
        size = 10_000
        xs, ys = [], []
        for x, y in ((min(b[0] for b in boxes), min(b[1] for b in boxes)),
                     (max(b[2] for b in boxes), max(b[3] for b in boxes))):  # fmt: skip
            dx, dy = ctypes.c_int(), ctypes.c_int()
            pdfium_raw.FPDF_PageToDevice(page, 0, 0, size, size, 0, x, y, dx, dy)
            xs.append(dx.value / size)
            ys.append(dy.value / size)
        return (min(xs), min(ys), max(xs), max(ys))
    finally:
        document.close()


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found
