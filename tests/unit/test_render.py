"""Page images for the viewer: real PDFium/Pillow rendering in the sandbox, and its fake."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pypdf
import pytest
from PIL import Image, ImageChops, ImageStat

from ocr import (
    CorruptDocumentError,
    ExtractionError,
    FakePageRenderer,
    PageRenderer,
    PdfiumPageRenderer,
)
from ocr.render import _document_from_json
from ocr.samples import image_pdf, letter_lines, render_page, tiff

A4_RATIO = 11.69 / 8.27


def _rotate(pdf: bytes, page_index: int, degrees: int) -> bytes:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    writer = pypdf.PdfWriter()
    for index, page in enumerate(reader.pages):
        if index == page_index:
            page.rotation = degrees
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def scanned_letter() -> Image.Image:
    return render_page(letter_lines(1), dpi=200)


def test_scanned_pdf_renders_every_page_as_displayed(
    tmp_path: Path, scanned_letter: Image.Image
) -> None:
    source = tmp_path / "scan.pdf"
    source.write_bytes(_rotate(image_pdf([scanned_letter, scanned_letter], dpi=200), 1, 90))
    renderer: PageRenderer = PdfiumPageRenderer()

    result = renderer.render(source, tmp_path / "out")

    assert result.media_type == "image/webp"
    assert [p.number for p in result.pages] == [1, 2]
    upright, turned = result.pages
    assert upright.width == 1200
    assert upright.height == pytest.approx(1200 * A4_RATIO, abs=2)
    # /Rotate 90 makes the portrait scan a landscape page on screen
    assert turned.width == 1200
    assert turned.height == pytest.approx(1200 / A4_RATIO, abs=2)
    for page in result.pages:
        with Image.open(page.image) as image:
            assert image.format == "WEBP"
            assert image.size == (page.width, page.height)
        with Image.open(page.thumb) as thumb:
            assert thumb.size == (page.thumb_width, page.thumb_height)
            assert thumb.width == 180
        assert page.image.parent == (tmp_path / "out").resolve()
    # small enough for a weak VPN line (measured: about 40 KB for an A4 letter)
    assert upright.image.stat().st_size < 100_000
    assert upright.thumb.stat().st_size < 6_000


def test_rotated_page_shows_its_text_upright(tmp_path: Path) -> None:
    """A scan lying on its side with /Rotate to stand it up renders like the upright scan."""
    page = render_page(letter_lines(1), dpi=100)
    (tmp_path / "upright.pdf").write_bytes(image_pdf([page], dpi=100))
    # PIL turns counter-clockwise; /Rotate 90 (clockwise) stands the page up again
    (tmp_path / "turned.pdf").write_bytes(
        _rotate(image_pdf([page.rotate(90, expand=True)], dpi=100), 0, 90)
    )
    renderer = PdfiumPageRenderer()

    (upright,) = renderer.render(tmp_path / "upright.pdf", tmp_path / "a").pages
    (turned,) = renderer.render(tmp_path / "turned.pdf", tmp_path / "b").pages

    assert (turned.width, turned.height) == (upright.width, upright.height)
    with Image.open(upright.image) as a, Image.open(turned.image) as b:
        same = ImageStat.Stat(ImageChops.difference(a.convert("L"), b.convert("L"))).mean[0]
        flipped = b.convert("L").rotate(180)
        wrong = ImageStat.Stat(ImageChops.difference(a.convert("L"), flipped)).mean[0]
    assert same < 2.0
    assert wrong > 4 * same


def test_tiff_frames_become_pages(tmp_path: Path, scanned_letter: Image.Image) -> None:
    source = tmp_path / "fax.tif"
    source.write_bytes(tiff([scanned_letter.convert("1")] * 3, dpi=200, compression="group4"))

    result = PdfiumPageRenderer(width=800, thumb_width=120).render(source, tmp_path / "out")

    assert [(p.number, p.width, p.thumb_width) for p in result.pages] == [
        (1, 800, 120),
        (2, 800, 120),
        (3, 800, 120),
    ]


def test_damaged_pdf_is_refused_with_an_extraction_error(tmp_path: Path) -> None:
    source = tmp_path / "broken.pdf"
    source.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 200)

    with pytest.raises(CorruptDocumentError):
        PdfiumPageRenderer().render(source, tmp_path / "out")


def test_child_answers_pointing_outside_the_workdir_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "page-1.webp").write_bytes(b"x")
    outside = tmp_path.parent / "elsewhere.webp"
    outside.write_bytes(b"x")
    page = {"number": 1, "width": 10, "height": 10, "thumb_width": 5, "thumb_height": 5}
    good = {"pages": [page | {"image": "page-1.webp", "thumb": "page-1.webp"}]}
    assert _document_from_json(good, tmp_path).pages[0].image == (tmp_path / "page-1.webp")
    for bad in (
        {"pages": [page | {"image": "../elsewhere.webp", "thumb": "page-1.webp"}]},
        {"pages": [page | {"image": str(outside), "thumb": "page-1.webp"}]},
        {"pages": [page | {"number": 2, "image": "page-1.webp", "thumb": "page-1.webp"}]},
        {"pages": [page | {"width": -1, "image": "page-1.webp", "thumb": "page-1.webp"}]},
        json.loads('{"pages": "none"}'),
    ):
        with pytest.raises(ValueError, match=r"."):
            _document_from_json(bad, tmp_path)


def test_fake_renderer_writes_placeholder_pages_or_raises(tmp_path: Path) -> None:
    fake: PageRenderer = FakePageRenderer(pages=3)
    result = fake.render(tmp_path / "any.pdf", tmp_path / "out")
    assert [p.number for p in result.pages] == [1, 2, 3]
    assert all(p.image.is_file() and p.thumb.is_file() for p in result.pages)

    failing = FakePageRenderer(error=CorruptDocumentError("kaputt"))
    with pytest.raises(ExtractionError):
        failing.render(tmp_path / "any.pdf", tmp_path / "out2")
