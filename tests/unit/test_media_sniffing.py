"""A PDF is one only where its header opens the file, so polyglots are refused."""

from __future__ import annotations

import pytest

from ecase.domain.filenames import download_name
from ecase.domain.media import SNIFF_BYTES
from ocr import UnsupportedMediaTypeError, detect_media_type, samples
from ocr.media import HEAD_BYTES
from tests.support.hostile_names import HOSTILE_CONTENTS, HostileContent


def _sniff(head: bytes) -> str | None:
    try:
        return detect_media_type(head)
    except UnsupportedMediaTypeError:
        return None


@pytest.mark.parametrize("case", HOSTILE_CONTENTS, ids=lambda case: case.id)
def test_content_is_sniffed_as_the_corpus_says(case: HostileContent) -> None:
    assert _sniff(case.head) == case.media_type


def test_html_polyglot_with_a_real_pdf_behind_it_is_refused() -> None:
    page = samples.render_page(["Rechnung"], size_inches=(1, 1), dpi=72)
    polyglot = b"<html><script>alert(document.domain)</script><!--\n" + samples.image_pdf([page])
    assert b"%PDF-" in polyglot[:HEAD_BYTES]
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        detect_media_type(polyglot[:HEAD_BYTES])
    assert caught.value.code == "unsupported_media_type"


def test_a_generated_pdf_is_a_pdf_and_stays_one_after_leading_whitespace() -> None:
    page = samples.render_page(["Müller"], size_inches=(1, 1), dpi=72)
    pdf = samples.image_pdf([page])
    assert detect_media_type(pdf[:HEAD_BYTES]) == "application/pdf"
    assert detect_media_type(b"\r\n\r\n" + pdf[: HEAD_BYTES - 4]) == "application/pdf"


def test_only_the_first_kib_decides_however_long_the_head() -> None:
    assert _sniff(b" " * HEAD_BYTES + b"%PDF-1.4\n") is None


def test_upload_path_reads_enough_bytes_for_the_sniffer() -> None:
    assert SNIFF_BYTES >= HEAD_BYTES


@pytest.mark.parametrize("name", ["x.html", "x.htm", "x.svg", "x.exe", "x.js", "x"])
def test_a_sniffed_pdf_is_never_handed_out_under_another_extension(name: str) -> None:
    assert download_name(name, "application/pdf").endswith(".pdf")
