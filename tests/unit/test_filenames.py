"""File names are normalised once for every way in, and downloads tell their type."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.http import parse_options_header

import ocr
from ecase.domain.filenames import (
    DEFAULT_NAME,
    MAX_NAME_BYTES,
    ascii_fallback,
    download_name,
    normalise_filename,
)
from ecase.domain.media import EXTENSIONS, TRUTHFUL_EXTENSIONS
from ecase.http.downloads import content_disposition
from tests.support.hostile_names import HOSTILE_NAMES, PDF, HostileName, unsafe_reasons

hostile = pytest.mark.parametrize("case", HOSTILE_NAMES, ids=lambda case: case.id)
# Any code point, surrogates included: the hot folder's os.fsdecode produces them.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=400)


@hostile
def test_hostile_name_is_stored_as_expected(case: HostileName) -> None:
    assert normalise_filename(case.raw) == case.stored


@hostile
def test_hostile_name_is_handed_out_as_pdf_as_expected(case: HostileName) -> None:
    assert download_name(case.raw, PDF) == case.as_pdf


@hostile
def test_normalised_hostile_name_keeps_every_rule(case: HostileName) -> None:
    assert unsafe_reasons(normalise_filename(case.raw)) == []
    assert unsafe_reasons(download_name(case.raw, PDF)) == []


@given(any_text)
def test_any_text_normalises_to_a_safe_name(raw: str) -> None:
    assert unsafe_reasons(normalise_filename(raw)) == []


@given(any_text)
def test_normalising_twice_changes_nothing(raw: str) -> None:
    once = normalise_filename(raw)
    assert normalise_filename(once) == once


@given(any_text, st.sampled_from([*EXTENSIONS, "text/html", "application/octet-stream"]))
def test_download_name_is_safe_and_ends_in_a_truthful_extension(raw: str, media_type: str) -> None:
    name = download_name(raw, media_type)
    assert unsafe_reasons(name) == []
    truthful = TRUTHFUL_EXTENSIONS.get(media_type, frozenset({".bin"}))
    assert any(name.lower().endswith(extension) for extension in truthful)


def test_custom_default_replaces_an_empty_name() -> None:
    assert normalise_filename("../..", default="scan.pdf") == "scan.pdf"
    assert normalise_filename(".pdf", default="scan") == "scan.pdf"


@pytest.mark.parametrize("default", ["", "../x", "a\x00b", " x", "CON"])
def test_a_default_that_is_no_normal_name_is_a_programming_error(default: str) -> None:
    with pytest.raises(ValueError, match="default file name"):
        normalise_filename("x.pdf", default=default)


def test_long_name_keeps_its_extension_within_the_byte_limit() -> None:
    name = normalise_filename("Ü" * 300 + ".tiff")
    assert name.endswith(".tiff")
    assert len(name.encode()) <= MAX_NAME_BYTES


def test_an_overlong_extension_counts_as_part_of_the_name() -> None:
    assert normalise_filename("a." + "b" * 17) == "a." + "b" * 17
    assert download_name("a." + "b" * 17, PDF) == "a." + "b" * 17 + ".pdf"


@pytest.mark.parametrize(
    ("stored", "media_type", "expected"),
    [
        ("scan.tiff", "image/tiff", "scan.tiff"),
        ("scan.TIF", "image/tiff", "scan.TIF"),
        ("foto.jpeg", "image/jpeg", "foto.jpeg"),
        ("foto.png", "image/jpeg", "foto.png.jpg"),
        ("bild.jpg", "image/png", "bild.jpg.png"),
        ("x.pdf", "image/tiff", "x.pdf.tif"),
        ("x.pdf", "Application/PDF; version=1.7", "x.pdf"),
        ("x.html", "text/html", "x.html.bin"),
        ("daten.bin", "application/octet-stream", "daten.bin"),
    ],
)
def test_download_name_keeps_a_truthful_extension_and_appends_otherwise(
    stored: str, media_type: str, expected: str
) -> None:
    assert download_name(stored, media_type) == expected


def test_download_name_shortens_the_old_name_so_the_type_fits() -> None:
    name = download_name("a" * 251 + ".txt", PDF)
    assert name == "a" * 251 + ".pdf"


def test_every_type_the_sniffer_accepts_has_a_truthful_extension() -> None:
    for media_type in ocr.SUPPORTED_MEDIA_TYPES:
        assert EXTENSIONS[media_type] in TRUTHFUL_EXTENSIONS[media_type]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Müller.pdf", "Mueller.pdf"),
        ("Straße ÄÖÜ.pdf", "Strasse AeOeUe.pdf"),
        ("Café São.pdf", "Cafe Sao.pdf"),
        ("日本語.pdf", "dokument.pdf"),
        ("100% sicher.pdf", "100_ sicher.pdf"),
        ("..\uff0f..\uff0fx.pdf", "_.._x.pdf"),
        ("Antrag – Müller.pdf", "Antrag _ Mueller.pdf"),
        ("Bescheid 2026.pdf", "Bescheid 2026.pdf"),
    ],
)
def test_ascii_fallback_spells_out_umlauts_and_replaces_the_rest(name: str, expected: str) -> None:
    assert ascii_fallback(name) == expected


@given(any_text)
def test_ascii_fallback_is_quotable_printable_ascii(raw: str) -> None:
    fallback = ascii_fallback(raw)
    assert re.fullmatch(r"[ -~]+", fallback)
    assert not {'"', "\\", "%", "/"} & set(fallback)
    assert len(fallback) <= MAX_NAME_BYTES


@hostile
def test_header_has_no_control_characters_and_names_the_download(case: HostileName) -> None:
    header = content_disposition(download_name(case.raw, PDF))
    assert header.isascii()
    assert re.fullmatch(r"[ -~]+", header)
    kind, options = parse_options_header(header)
    assert kind == "attachment"
    # werkzeug prefers filename* like a browser does, and decodes it
    assert options["filename"] == case.as_pdf


def test_ascii_name_goes_out_without_filename_star() -> None:
    assert content_disposition("Bescheid 2026.pdf") == 'attachment; filename="Bescheid 2026.pdf"'


def test_unicode_name_goes_out_with_fallback_and_encoded_filename_star() -> None:
    header = content_disposition("Müller Bescheid.pdf")
    fallback, star = header.removeprefix("attachment; ").split("; ")
    assert fallback == 'filename="Mueller Bescheid.pdf"'
    assert star == "filename*=UTF-8''M%C3%BCller%20Bescheid.pdf"
    assert unquote(star.split("''", 1)[1]) == "Müller Bescheid.pdf"


def test_header_builder_normalises_what_it_is_given() -> None:
    assert content_disposition("../a\r\nb.pdf") == 'attachment; filename="a b.pdf"'


def test_default_name_is_a_normal_name() -> None:
    assert normalise_filename(DEFAULT_NAME) == DEFAULT_NAME
