"""Extraction without tesseract: text layers, and every kind of bad file failing clearly.

Each case runs through the real sandbox; none of them reaches OCR, so no tesseract needed.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from ocr import (
    CorruptDocumentError,
    EncryptedDocumentError,
    ExtractionError,
    ExtractionResult,
    Limits,
    ResourceLimitError,
    TesseractExtractor,
    UnsupportedMediaTypeError,
    extract_in_sandbox,
    samples,
)
from ocr.textlayer import MIN_LETTERS, is_usable_text

Write = Callable[[str, bytes], Path]

LETTER = [samples.letter_lines(1), samples.letter_lines(2), samples.letter_lines(3)]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def write(name: str, content: bytes) -> Path:
        path = tmp_path / "in" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        return path

    return write


def extract(source: Path, limits: Limits | None = None) -> ExtractionResult:
    workdir = source.parent.parent / f"out-{source.name}"
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    try:
        return extract_in_sandbox(source, workdir, limits=limits or Limits(), processes=1)
    finally:
        assert hashlib.sha256(source.read_bytes()).hexdigest() == before, "source modified"
        found = workdir.iterdir() if workdir.exists() else iter(())
        leftovers = [p.name for p in found if p.name != "searchable.pdf"]
        assert leftovers == [], "scratch files left in the workdir"


def test_born_digital_pdf_is_read_from_its_text_layer(write: Write) -> None:
    result = extract(write("brief.pdf", samples.text_pdf(LETTER)))
    assert result.media_type == "application/pdf"
    assert result.page_count == 3
    assert [p.number for p in result.pages] == [1, 2, 3]
    assert {p.source for p in result.pages} == {"text-layer"}
    assert "Aufenthaltserlaubnis" in result.pages[0].text
    assert "Goethestraße" in result.pages[1].text
    assert "Müller" in result.pages[2].text
    assert "Seite 3" in result.pages[2].text
    assert result.searchable_pdf is None, "an all-digital PDF is searchable already"


def test_text_is_joined_with_form_feeds_between_pages(write: Write) -> None:
    result = extract(write("brief.pdf", samples.text_pdf(LETTER)))
    assert result.text.count("\f") == 2


def test_pdf_encrypted_with_a_user_password_is_refused_in_plain_words(write: Write) -> None:
    pdf = samples.encrypt_pdf(
        samples.text_pdf(LETTER), user_password="geheim", owner_password="besitzer"
    )
    with pytest.raises(EncryptedDocumentError) as caught:
        extract(write("locked.pdf", pdf))
    assert "Passwort" in str(caught.value)
    assert caught.value.code == "encrypted"


def test_pdf_encrypted_with_an_empty_user_password_is_opened(write: Write) -> None:
    pdf = samples.encrypt_pdf(samples.text_pdf(LETTER), user_password="", owner_password="chef")
    result = extract(write("permissions-only.pdf", pdf))
    assert "Aufenthaltserlaubnis" in result.pages[0].text


def test_circular_page_tree_fails_cleanly(write: Write) -> None:
    with pytest.raises(CorruptDocumentError) as caught:
        extract(write("loop.pdf", samples.circular_page_tree_pdf()))
    assert "beschädigt" in str(caught.value)


def test_truncated_pdf_fails_as_corrupt(write: Write) -> None:
    pdf = samples.text_pdf(LETTER)
    with pytest.raises(CorruptDocumentError):
        extract(write("cut.pdf", pdf[: len(pdf) // 3]))


def test_pdf_without_pages_fails_as_corrupt(write: Write) -> None:
    empty = samples.build_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    )
    with pytest.raises(CorruptDocumentError) as caught:
        extract(write("nopages.pdf", empty))
    assert caught.value.code == "no_pages"


def test_zero_byte_file_is_refused_without_a_child(write: Write) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        extract(write("empty.pdf", b""))
    assert str(caught.value) == "Die Datei ist leer."


def test_random_bytes_are_refused(write: Write) -> None:
    noise = os.urandom(4096).replace(b"%PDF", b"____")
    with pytest.raises(UnsupportedMediaTypeError):
        extract(write("scan.pdf", b"\x00" + noise))


def test_random_bytes_behind_a_pdf_header_fail_as_corrupt(write: Write) -> None:
    with pytest.raises(CorruptDocumentError):
        extract(write("fake.pdf", b"%PDF-1.7\n" + os.urandom(8192)))


def test_random_bytes_behind_an_image_signature_fail_as_corrupt(write: Write) -> None:
    with pytest.raises(CorruptDocumentError):
        extract(write("fake.png", b"\x89PNG\r\n\x1a\n" + os.urandom(2048)))


def test_truncated_png_fails_as_corrupt(write: Write) -> None:
    out = io.BytesIO()
    samples.render_page(["Müller"] * 20, size_inches=(3, 3)).save(out, format="PNG")
    with pytest.raises(CorruptDocumentError):
        extract(write("cut.png", out.getvalue()[: len(out.getvalue()) // 2]))


def test_decompression_bomb_png_is_refused_before_decoding(write: Write) -> None:
    bomb = samples.decompression_bomb_png(50_000, 50_000)
    assert len(bomb) < 100_000
    with pytest.raises(ResourceLimitError) as caught:
        extract(write("bomb.png", bomb))
    assert caught.value.code == "image_too_large"
    assert "zu groß" in str(caught.value)


def test_image_just_above_the_pixel_limit_is_refused_not_warned_about(write: Write) -> None:
    # Pillow only warns between 1x and 2x its limit; the sandbox turns that into an error
    limits = Limits(max_pixels=1_000_000)
    with pytest.raises(ResourceLimitError) as caught:
        extract(write("big.png", samples.decompression_bomb_png(1200, 1200)), limits)
    assert caught.value.code == "image_too_large"


def test_later_tiff_page_above_the_pixel_limit_is_refused(write: Write) -> None:
    small = Image.new("1", (100, 100), 1)
    large = Image.new("1", (1500, 1500), 1)
    with pytest.raises(ResourceLimitError) as caught:
        extract(
            write("mixed.tif", samples.tiff([small, large], compression="group4")),
            Limits(max_pixels=1_000_000),
        )
    assert caught.value.code == "image_too_large"


def test_pdf_with_too_many_pages_is_refused(write: Write) -> None:
    with pytest.raises(ResourceLimitError) as caught:
        extract(write("long.pdf", samples.text_pdf(LETTER)), Limits(max_pages=2))
    assert caught.value.code == "too_many_pages"
    assert "höchstens 2 Seiten" in str(caught.value)


def test_tiff_with_too_many_pages_is_refused(write: Write) -> None:
    pages = [Image.new("1", (50, 50), 1) for _ in range(4)]
    with pytest.raises(ResourceLimitError) as caught:
        extract(write("long.tif", samples.tiff(pages, compression="group4")), Limits(max_pages=3))
    assert caught.value.code == "too_many_pages"


def test_extractor_port_runs_in_the_sandbox(tmp_path: Path) -> None:
    source = tmp_path / "brief.pdf"
    source.write_bytes(samples.text_pdf(LETTER[:1]))
    result = TesseractExtractor(processes=1).extract(source, tmp_path / "work")
    assert result.page_count == 1
    assert result.pages[0].source == "text-layer"


def test_invalid_languages_are_rejected_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="languages"):
        TesseractExtractor(languages="deu; rm -rf /")
    with pytest.raises(ValueError, match="languages"):
        extract_in_sandbox(tmp_path / "x.pdf", tmp_path, languages="-c x=1")


def test_every_error_message_is_plain_words(write: Write) -> None:
    cases = [
        write("a.pdf", samples.circular_page_tree_pdf()),
        write("b.png", samples.decompression_bomb_png()),
        write("c.bin", b"MZ\x90\x00"),
        write("d.pdf", b"%PDF-1.4\n1 0 obj\n<<"),
    ]
    for source in cases:
        with pytest.raises(ExtractionError) as caught:
            extract(source)
        message = str(caught.value)
        assert message.endswith("."), message
        for jargon in ("Traceback", "Error", "Exception", "pypdf", "PIL", "0x"):
            assert jargon not in message, message


@pytest.mark.parametrize(
    ("text", "usable"),
    [
        ("", False),
        ("Seite 1 von 3", False),
        ("a" * (MIN_LETTERS - 1), False),
        ("Aufenthaltserlaubnis Müller", True),
        ("مرحبا بكم في مكتب الأجانب", True),
        ("Aufenthaltserlaubnis Müller" + "\ufffd" * 10, False),
        ("Aufenthaltserlaubnis Müller" + "\ue000\ue001", True),
        ("Rechnung 2024: 1.234,56 EUR, 7.890,12 EUR, Steuer 19 %", True),
    ],
)
def test_usable_text_needs_enough_letters_and_little_garbage(text: str, usable: bool) -> None:
    assert is_usable_text(text) is usable


def test_searchable_pdf_is_not_written_for_a_text_only_pdf(write: Write) -> None:
    source = write("brief.pdf", samples.text_pdf(LETTER))
    result = extract(source)
    assert result.searchable_pdf is None
    reader = pypdf.PdfReader(source)
    assert len(reader.pages) == result.page_count
