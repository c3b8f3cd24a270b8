"""Separator sheets: strict payloads, the split of a batch, and printed sheets read back.

The round trip renders sheets with ``render_sheet_pdf``, rasterises them with PDFium as a
scanner would deliver them (150-300 dpi, grey, rotated, upside down, noisy, faint) and
reads them with ``detect_separator``; no tesseract is involved.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pypdf
import pypdfium2
import pytest
import segno
from PIL import Image, ImageFilter

from ocr import (
    PlannedDocument,
    Separator,
    SheetSpec,
    detect_separator,
    parse_payload,
    render_sheet_pdf,
    split_pages,
)
from ocr import separators as separators_module
from ocr.samples import letter_lines, render_page
from ocr.separators import case_payload

REF = "MA-1234-2026-00017"
SEP = Separator("sep", None, "ECASE:SEP")
CASE_A = Separator("case", "MA-1234-2026-00001", "ECASE:CASE:MA-1234-2026-00001")
CASE_B = Separator("case", "MA-1234-2026-00002", "ECASE:CASE:MA-1234-2026-00002")
INSTRUCTION = "Dieses Blatt vor das nächste Schriftstück legen"

# --- payloads ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ECASE:SEP", Separator("sep", None)),
        (f"ECASE:CASE:{REF}", Separator("case", REF)),
        ("ECASE:CASE:AB.12/2026 7", Separator("case", "AB.12/2026 7")),
        ("ECASE:CASE:X", Separator("case", "X")),
        ("ECASE:CASE:" + "A" * 64, Separator("case", "A" * 64)),
    ],
)
def test_valid_payloads(text: str, expected: Separator) -> None:
    parsed = parse_payload(text)
    assert parsed == expected
    assert parsed is not None
    assert parsed.raw == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ecase:sep",
        "ECASE:SEP ",
        " ECASE:SEP",
        "ECASE:SEP\n",
        "ECASE:SEPARATOR",
        "XECASE:SEP",
        "ECASE:CASE:",
        "ECASE:CASE",
        "ECASE:CASE: MA-1234-2026-00017",
        "ECASE:CASE:MA-1234-2026-00017 ",
        "ECASE:CASE:MA-1234-2026-00017\n",
        "ECASE:CASE:MA:1234",
        "ECASE:CASE:Müller",
        "ECASE:CASE:<script>",
        "ECASE:CASE:-MA-1",
        "ECASE:CASE:" + "A" * 65,
        "ECASE:CASE:MA-1\x00",
        "ECASE:DOC:17",
    ],
)
def test_invalid_payloads_are_no_separator(text: str) -> None:
    assert parse_payload(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "https://www.landkreis-musterkreis.de/auslaenderbehoerde?ref=ECASE:SEP",
        "BCD\n002\n1\nSCT\n\nStadtkasse Musterstadt\nDE02120300000000202051\nEUR35.00\n\n\n"
        "ECASE:SEP",
        "WIFI:S:Gast;T:WPA;P:geheim;;",
        "BEGIN:VCARD\nFN:Ausländerbehörde\nEND:VCARD",
    ],
)
def test_foreign_qr_contents_are_no_separator(text: str) -> None:
    assert parse_payload(text) is None


def test_case_payload_refuses_what_a_scan_would_not_accept() -> None:
    assert case_payload(REF) == f"ECASE:CASE:{REF}"
    with pytest.raises(ValueError, match="separator sheet"):
        case_payload("MA:1")


# --- splitting -----------------------------------------------------------------------------


def test_a_batch_without_separators_is_one_document() -> None:
    assert split_pages([None, None, None]) == [PlannedDocument((1, 2, 3), None, None)]


def test_an_empty_batch_and_a_batch_of_only_separators_plan_nothing() -> None:
    assert split_pages([]) == []
    assert split_pages([SEP]) == []
    assert split_pages([SEP, CASE_A, SEP]) == []


def test_each_separator_starts_a_document_and_belongs_to_none() -> None:
    plan = split_pages([CASE_A, None, None, SEP, None, CASE_B, None, None, None])
    assert plan == [
        PlannedDocument((2, 3), CASE_A.reference, CASE_A),
        PlannedDocument((5,), None, SEP),
        PlannedDocument((7, 8, 9), CASE_B.reference, CASE_B),
    ]
    in_documents = {page for document in plan for page in document.pages}
    assert in_documents.isdisjoint({1, 4, 6})


def test_pages_before_the_first_separator_form_a_document_without_case() -> None:
    assert split_pages([None, None, CASE_A, None]) == [
        PlannedDocument((1, 2), None, None),
        PlannedDocument((4,), CASE_A.reference, CASE_A),
    ]


def test_consecutive_separators_make_no_empty_document_and_the_last_decides() -> None:
    assert split_pages([None, SEP, CASE_A, None, CASE_A, CASE_B, None]) == [
        PlannedDocument((1,), None, None),
        PlannedDocument((4,), CASE_A.reference, CASE_A),
        PlannedDocument((7,), CASE_B.reference, CASE_B),
    ]
    assert split_pages([None, CASE_A, SEP, None]) == [
        PlannedDocument((1,), None, None),
        PlannedDocument((4,), None, SEP),
    ]


def test_a_trailing_separator_adds_nothing() -> None:
    assert split_pages([None, None, CASE_A]) == [PlannedDocument((1, 2), None, None)]


# --- printable sheets ----------------------------------------------------------------------

SHEETS = (
    SheetSpec(
        f"ECASE:CASE:{REF}",
        f"TRENNBLATT – Akte {REF}",
        ("Person: Jürgen Müller-Größe, geb. 01.02.1990", INSTRUCTION),
    ),
    SheetSpec("ECASE:SEP", "TRENNBLATT", (INSTRUCTION,)),
)


@pytest.fixture(scope="module")
def sheets_pdf() -> bytes:
    return render_sheet_pdf(SHEETS)


def test_sheets_are_a4_pages_with_extractable_text(sheets_pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(sheets_pdf))
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (
            595,
            842,
        )
    first = " ".join(reader.pages[0].extract_text().split())
    assert "TRENNBLATT – Akte" in first
    assert REF in first
    assert "Jürgen Müller-Größe" in first
    assert INSTRUCTION in first
    second = " ".join(reader.pages[1].extract_text().split())
    assert "TRENNBLATT" in second
    assert REF not in second
    assert len(sheets_pdf) < 20_000, "the QR code is vector, the fonts are the standard 14"


def test_names_outside_winansi_keep_their_letters() -> None:
    pdf = render_sheet_pdf([SheetSpec("ECASE:SEP", "TRENNBLATT", ("Nguyễn Thị Ánh (Łódź)",))])
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Nguyen Thi Ánh" in text
    assert "(?ódz)" in text


def test_a_long_title_wraps_instead_of_running_off_the_page() -> None:
    title = "TRENNBLATT – Akte SEHR-LANGER-PLAN.CODE-2026-000123456 für eine Sammelakte"
    pdf = render_sheet_pdf([SheetSpec("ECASE:SEP", title)])
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "SEHR-LANGER-PLAN.CODE-2026-000123456" in text
    assert "Sammelakte" in text


def test_rendering_refuses_no_sheets_and_foreign_payloads() -> None:
    with pytest.raises(ValueError, match="no sheets"):
        render_sheet_pdf([])
    with pytest.raises(ValueError, match="not a separator payload"):
        render_sheet_pdf([SheetSpec("https://example.org", "TRENNBLATT")])


# --- detection round trip ------------------------------------------------------------------


def rasterise(pdf: bytes, index: int, dpi: int, *, grey: bool = True) -> Image.Image:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[index].render(scale=dpi / 72, grayscale=grey).to_pil()
    finally:
        document.close()
    return image.convert("L") if grey else image.convert("RGB")


def rotated(degrees: float) -> Callable[[Image.Image], Image.Image]:
    def turn(image: Image.Image) -> Image.Image:
        return image.rotate(degrees, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)

    return turn


def grey_paper(image: Image.Image) -> Image.Image:
    """Recycled paper and a tired toner: dark grey on light grey."""
    return image.point(lambda v: 70 + v * 140 // 255)


def scanner_noise(image: Image.Image) -> Image.Image:
    blurred = image.filter(ImageFilter.GaussianBlur(1.2))
    noise = Image.effect_noise(image.size, 50)
    return Image.blend(blurred, noise, 0.2)


def skewed_grey_noisy(image: Image.Image) -> Image.Image:
    return scanner_noise(grey_paper(rotated(-7)(image)))


TRANSFORMS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "upright": lambda image: image,
    "rotated +7°": rotated(7),
    "rotated -7°": rotated(-7),
    "upside down": rotated(180),
    "grey paper": grey_paper,
    "scanner noise": scanner_noise,
    "-7°, grey and noisy": skewed_grey_noisy,
}


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("transform", list(TRANSFORMS), ids=list(TRANSFORMS))
def test_printed_sheets_are_detected_on_scans(sheets_pdf: bytes, dpi: int, transform: str) -> None:
    case_page = TRANSFORMS[transform](rasterise(sheets_pdf, 0, dpi))
    assert detect_separator(case_page) == Separator("case", REF)
    sep_page = TRANSFORMS[transform](rasterise(sheets_pdf, 1, dpi))
    assert detect_separator(sep_page) == Separator("sep", None)


def test_colour_and_black_and_white_scans(sheets_pdf: bytes) -> None:
    colour = rasterise(sheets_pdf, 0, 200, grey=False)
    assert colour.mode == "RGB"
    assert detect_separator(colour) == Separator("case", REF)
    bilevel = rasterise(sheets_pdf, 0, 300).convert("1")
    assert detect_separator(bilevel) == Separator("case", REF)
    landscape = rotated(90)(rasterise(sheets_pdf, 1, 150))
    assert detect_separator(landscape) == Separator("sep", None)


def test_a_very_faint_scan_is_read_by_the_contrast_fallback(sheets_pdf: bytes) -> None:
    faint = rasterise(sheets_pdf, 0, 300).point(lambda v: 238 + v * 12 // 255)
    small = separators_module._downscaled(faint, separators_module.FAST_PATH_PIXELS)
    assert separators_module._read(small, global_binarizer=False)[0] is None, "fast path fails"
    assert detect_separator(faint) == Separator("case", REF)


def qr_image(payload: str, size_px: int) -> Image.Image:
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=10, border=4)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    return image.resize((size_px, size_px), Image.Resampling.BILINEAR)


@pytest.fixture(scope="module")
def letter() -> Image.Image:
    return render_page(letter_lines(1), dpi=300)


def with_codes(page: Image.Image, *codes: tuple[str, int, tuple[int, int]]) -> Image.Image:
    page = page.copy()
    for payload, size_px, position in codes:
        page.paste(qr_image(payload, size_px), position)
    return page


def test_a_small_code_on_a_300_dpi_page_is_read_at_full_resolution(letter: Image.Image) -> None:
    # 8 mm wide: too fine for the downscaled fast path, which sees only a damaged symbol
    page = with_codes(letter, (f"ECASE:CASE:{REF}", 120, (1900, 2900)))
    page = page.filter(ImageFilter.GaussianBlur(1))
    assert detect_separator(page) == Separator("case", REF)


def test_a_letter_without_qr_code_is_no_separator(letter: Image.Image) -> None:
    assert detect_separator(letter) is None


@pytest.mark.parametrize(
    "payload",
    [
        "https://www.musterkreis.de/termin?id=4711",
        "BCD\n002\n1\nSCT\n\nStadtkasse Musterstadt\nDE02120300000000202051\nEUR35.00",
        "ECASE:CASE:MA:1234",
    ],
)
def test_a_letter_with_a_foreign_qr_code_is_no_separator(letter: Image.Image, payload: str) -> None:
    page = with_codes(letter, (payload, 450, (1800, 2700)))
    assert detect_separator(page) is None


def test_among_several_codes_only_the_ecase_payload_counts(letter: Image.Image) -> None:
    page = with_codes(
        letter,
        ("https://www.musterkreis.de/termin?id=4711", 450, (200, 2700)),
        (f"ECASE:CASE:{REF}", 450, (1800, 2700)),
    )
    assert detect_separator(page) == Separator("case", REF)


def test_conflicting_case_codes_on_one_page_file_into_no_case(letter: Image.Image) -> None:
    page = with_codes(
        letter,
        ("ECASE:CASE:MA-1234-2026-00001", 450, (200, 2700)),
        ("ECASE:CASE:MA-1234-2026-00002", 450, (1800, 2700)),
    )
    found = detect_separator(page)
    assert found == Separator("sep", None)
    assert found is not None
    assert "MA-1234-2026-00001" in found.raw
    assert "MA-1234-2026-00002" in found.raw


def test_a_scanned_batch_splits_into_documents(sheets_pdf: bytes, letter: Image.Image) -> None:
    case_sheet = rasterise(sheets_pdf, 0, 200)
    sep_sheet = rotated(180)(rasterise(sheets_pdf, 1, 200))
    small_letter = letter.resize((case_sheet.width, case_sheet.height))
    batch = [small_letter, case_sheet, small_letter, small_letter, sep_sheet, small_letter]
    skews = (-2.5, 1.5, -1.0, 2.0, 3.0, -3.0)  # fed crooked
    batch = [rotated(angle)(page) for angle, page in zip(skews, batch, strict=True)]
    plan = split_pages([detect_separator(page) for page in batch])
    assert plan == [
        PlannedDocument((1,), None, None),
        PlannedDocument((3, 4), REF, Separator("case", REF)),
        PlannedDocument((6,), None, Separator("sep", None)),
    ]
