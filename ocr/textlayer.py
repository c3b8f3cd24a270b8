"""Reading the text layer of born-digital PDF pages, and judging whether it is usable."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import pypdf
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from .errors import CorruptDocumentError, EncryptedDocumentError, ResourceLimitError
from .model import Limits

__all__ = ["MIN_LETTERS", "is_clean_text", "is_usable_text", "open_pdf", "page_text"]

log = logging.getLogger(__name__)

#: A page whose text layer has fewer letters than this is OCR'd: scanned pages often carry
#: a digital stamp ("Seite 1 von 3", a barcode number, a date) that is not the content.
MIN_LETTERS = 20

#: Share of the non-blank characters that may be garbage (U+FFFD, private use, control
#: characters) before the layer counts as unusable: broken font encodings produce it.
MAX_GARBAGE_SHARE = 0.1

_GARBAGE_CATEGORIES = frozenset({"Co", "Cc", "Cs", "Cn"})


def is_usable_text(text: str) -> bool:
    """Whether a page's text layer is good enough to skip OCR.

    Usable means at least ``MIN_LETTERS`` letters (any script) and at most
    ``MAX_GARBAGE_SHARE`` of the non-blank characters undecodable.
    """
    letters, clean = _letters_and_cleanliness(text)
    return letters >= MIN_LETTERS and clean


def is_clean_text(text: str) -> bool:
    """Whether a (possibly short) text layer is real text worth keeping next to OCR.

    A caption such as "Anlage 3" or an Arabic name that tesseract's languages cannot
    read must not be lost just because the page also needed OCR.
    """
    letters, clean = _letters_and_cleanliness(text)
    return letters > 0 and clean


def _letters_and_cleanliness(text: str) -> tuple[int, bool]:
    letters = garbage = visible = 0
    for char in text:
        if char.isspace():
            continue
        visible += 1
        category = unicodedata.category(char)
        if category.startswith("L"):
            letters += 1
        elif char == "\ufffd" or category in _GARBAGE_CATEGORIES:
            garbage += 1
    return letters, garbage <= MAX_GARBAGE_SHARE * visible


def open_pdf(source: Path, limits: Limits) -> pypdf.PdfReader:
    """Open a PDF, unlocking it when the user password is empty.

    Raises ``EncryptedDocumentError``, ``CorruptDocumentError`` or ``ResourceLimitError``.
    """
    try:
        reader = pypdf.PdfReader(source, strict=False)
        if reader.is_encrypted:
            _unlock(reader)
        page_count = len(reader.pages)
    except (EncryptedDocumentError, ResourceLimitError):
        raise
    except FileNotDecryptedError as exc:
        raise _encrypted(detail=repr(exc)) from exc
    except RecursionError as exc:
        raise CorruptDocumentError(
            "Die PDF-Datei ist beschädigt: ihre Seitenstruktur ist zu tief verschachtelt.",
            detail=repr(exc),
        ) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        # pypdf reports structural damage through many exception types; all mean the same
        # to a clerk
        raise CorruptDocumentError(
            "Die PDF-Datei ist beschädigt oder unvollständig und kann nicht gelesen werden.",
            detail=repr(exc),
        ) from exc
    if page_count == 0:
        raise CorruptDocumentError("Die PDF-Datei enthält keine Seiten.", code="no_pages")
    if page_count > limits.max_pages:
        raise ResourceLimitError(
            f"Die PDF-Datei hat {page_count} Seiten; verarbeitet werden höchstens "
            f"{limits.max_pages} Seiten. Bitte die Datei aufteilen.",
            code="too_many_pages",
        )
    return reader


def page_text(reader: pypdf.PdfReader, index: int) -> str:
    """The text layer of one page; empty when it cannot be read, so OCR takes over."""
    try:
        return reader.pages[index].extract_text()
    except (RecursionError, PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        # one damaged content stream must not cost the other pages: OCR reads the render
        log.warning("text layer of page %d unreadable, falling back to OCR", index + 1)
        return ""


def _unlock(reader: pypdf.PdfReader) -> None:
    try:
        unlocked = reader.decrypt("")
    except DependencyError as exc:
        # AES needs the 'cryptography' package; without it the file is as good as locked
        raise _encrypted(detail=repr(exc)) from exc
    if unlocked == pypdf.PasswordType.NOT_DECRYPTED:
        raise _encrypted()


def _encrypted(detail: str | None = None) -> EncryptedDocumentError:
    return EncryptedDocumentError(
        "Die PDF-Datei ist mit einem Passwort geschützt und kann deshalb nicht gelesen "
        "werden. Bitte beim Absender eine Fassung ohne Passwort anfordern.",
        detail=detail,
    )
