"""Media-type sniffing decides by content, and refuses everything but PDF and scans."""

from __future__ import annotations

import os

import pytest

from ocr import UnsupportedMediaTypeError, detect_media_type, samples


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (b"II+\x00\x08\x00\x00\x00", "image/tiff"),
    ],
)
def test_known_signatures_are_recognised(head: bytes, expected: str) -> None:
    assert detect_media_type(head) == expected


def test_pdf_header_after_leading_whitespace_within_first_kib_is_a_pdf() -> None:
    assert detect_media_type(b"\r\n" * 100 + b"%PDF-1.4\n") == "application/pdf"


def test_pdf_header_beyond_first_kib_is_not_a_pdf() -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        detect_media_type(b" " * 1100 + b"%PDF-1.4\n")


def test_generated_samples_are_sniffed_as_what_they_are() -> None:
    page = samples.render_page(["Müller"], size_inches=(1, 1), dpi=72)
    assert detect_media_type(samples.image_pdf([page])) == "application/pdf"
    assert detect_media_type(samples.tiff([page])) == "image/tiff"
    assert detect_media_type(samples.decompression_bomb_png(10, 10)) == "image/png"


@pytest.mark.parametrize(
    "head",
    [
        os.urandom(64).replace(b"%PDF-", b"xxxxx").lstrip(b"\x89\xffIM"),
        b"<html><body>Antrag</body></html>",
        b"PK\x03\x04 word document",
        b"GIF89a",
        b"{\\rtf1\\ansi",
    ],
)
def test_other_content_is_unsupported_with_a_readable_message(head: bytes) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        detect_media_type(head)
    assert caught.value.code == "unsupported_media_type"
    assert "PDF, TIFF, PNG und JPEG" in str(caught.value)


def test_empty_file_is_unsupported_and_says_it_is_empty() -> None:
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        detect_media_type(b"")
    assert caught.value.code == "empty"
    assert str(caught.value) == "Die Datei ist leer."
