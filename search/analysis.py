"""German text analysis shared by every index implementation, so that the fake and Whoosh agree.

Choices, and why:

* **Folding to the base vowel.** ``ä``/``ae``, ``ö``/``oe``, ``ü``/``ue`` all become ``a``,
  ``o``, ``u``; ``ß`` becomes ``ss``. Folding the other way (``ä`` to ``ae``) would make
  ``Mueller`` find ``Müller`` but not ``Muller``, a spelling that is common in foreign
  documents and transliterations, and it would break stemming: the Snowball German
  stemmer strips umlauts itself, so ``Anträge`` stems to ``antrag`` while ``antraege``
  stems to ``antraeg``. Reading the digraphs as umlauts *before* stemming (the approach
  of Snowball's "german2" variant) makes ``Anträge``, ``Antraege`` and ``Antrag`` one
  term. The price is a few harmless conflations (``Goethe`` = ``Gothe``) and that a
  written ``ue`` is read as ``ü`` unless it follows ``q`` or a vowel (``Quelle``,
  ``Feuer`` and ``Bauer`` stay intact, as in german2).
* **Other diacritics are stripped** (``Şahin`` = ``Sahin``, ``José`` = ``Jose``), because
  names from many scripts arrive with or without them, depending on who typed them.
* **Stemming** with the Snowball German stemmer that ships with whoosh-reloaded
  (``whoosh.lang.snowball.german``), for prose fields (text, title, document type). Names
  and Aktenzeichen are folded but not stemmed: ``Hansen`` must not find ``Hans``.
* **No stop words**: phrase queries (``"Antrag auf Verlängerung"``) stay exact; the price
  is long postings for ``der``/``die``, which only queries made of such words pay.
* **Compounds joined by ``-``, ``/`` or ``.``** (``MA-1234-2026-00017``, ``12.03.2026``)
  are indexed as the whole compound *and* as their parts at consecutive positions, with
  the compound sharing the first part's position. The whole token finds the full
  Aktenzeichen with one term lookup; the parts find it by ``1234`` or by the phrase
  ``1234-2026``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, cast

from whoosh.lang import stemmer_for_language

__all__ = [
    "CHUNK_RE",
    "MAX_TOKEN_CHARS",
    "Chunk",
    "analyze",
    "chunks",
    "fold",
    "normalize",
    "stem",
]

#: Longer runs (base64 blobs, OCR garbage) are not words anyone searches for; skipping them
#: keeps the term dictionary small.
MAX_TOKEN_CHARS: Final = 64

# A chunk is a run of letters/digits, optionally joined by - / . into a compound.
# Underscore is a separator: it must not glue `team_id` into something that looks like a field.
CHUNK_RE: Final = re.compile(r"[^\W_]+(?:[-/.][^\W_]+)*")
_PART_RE: Final = re.compile(r"[^\W_]+")

_VOWELS: Final = frozenset("aeiouyäöü")
# Letters that do not decompose under NFKD but have an obvious Latin reading.
_SPECIAL: Final = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i", "þ": "th", "ð": "d"}
)
_UMLAUT_TO_BASE: Final = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})

_STEMMER: Final = cast("Callable[[str], str]", stemmer_for_language("de"))


def _strip_foreign_diacritics(word: str) -> str:
    """Remove diacritics except the German umlauts, which the stemmer must still see."""
    word = word.translate(_SPECIAL)
    out: list[str] = []
    for char in word:
        if char in "äöü" or char.isascii():
            out.append(char)
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out)


def _digraphs_to_umlauts(word: str) -> str:
    """Read ae/oe/ue as umlauts (german2 rules: not ``ue`` after ``q`` or after a vowel)."""
    if "e" not in word:
        return word
    out: list[str] = []
    i = 0
    n = len(word)
    while i < n:
        char = word[i]
        if i + 1 < n and word[i + 1] == "e":
            if char == "a":
                out.append("ä")
                i += 2
                continue
            if char == "o":
                out.append("ö")
                i += 2
                continue
            if char == "u" and (i == 0 or (word[i - 1] != "q" and word[i - 1] not in _VOWELS)):
                out.append("ü")
                i += 2
                continue
        out.append(char)
        i += 1
    return "".join(out)


@lru_cache(maxsize=200_000)
def _umlaut_form(word: str) -> str:
    word = word.casefold()  # casefold also maps ß and ẞ to "ss"
    if not word.isascii():
        word = _strip_foreign_diacritics(word)
    return _digraphs_to_umlauts(word)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Fold one word for unstemmed fields: ``Müller``, ``Mueller``, ``Muller`` give ``muller``."""
    return _umlaut_form(word).translate(_UMLAUT_TO_BASE)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Fold and stem one word: ``Anträge``, ``Antraege`` and ``Antrag`` give ``antrag``."""
    form = _umlaut_form(word)
    if not form.isalpha():
        # Numbers and alphanumerics (`00017`, `b2`) are identifiers, not inflected words.
        return form.translate(_UMLAUT_TO_BASE)
    return _STEMMER(form)


def normalize(word: str, *, stemmed: bool) -> str:
    """Normalise one word the way a field of that kind does."""
    return stem(word) if stemmed else fold(word)


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk of text: a word, or a compound such as an Aktenzeichen, with its parts."""

    start: int
    end: int
    #: the folded compound (``ma-1234-2026-00017``), or None for a single word
    compound: str | None
    #: the normalised parts with their character spans
    parts: tuple[tuple[str, int, int], ...]


def chunks(text: str, *, stemmed: bool) -> Iterator[Chunk]:
    """Split text into chunks; overlong parts are dropped (see MAX_TOKEN_CHARS)."""
    norm = stem if stemmed else fold
    for match in CHUNK_RE.finditer(text):
        raw = match.group()
        start = match.start()
        if raw.isalnum():
            if len(raw) <= MAX_TOKEN_CHARS:
                yield Chunk(start, match.end(), None, ((norm(raw), start, match.end()),))
            continue
        parts = tuple(
            (norm(p.group()), start + p.start(), start + p.end())
            for p in _PART_RE.finditer(raw)
            if len(p.group()) <= MAX_TOKEN_CHARS
        )
        if not parts:
            continue
        compound = None
        if len(raw) <= MAX_TOKEN_CHARS:
            # Separators are kept so that `MA-1234` and `MA/1234` stay distinct references.
            compound = _PART_RE.sub(lambda p: fold(p.group()), raw)
        yield Chunk(start, match.end(), compound, parts)


def analyze(text: str, *, stemmed: bool) -> Iterator[tuple[str, int, int, int]]:
    """Yield ``(term, position, start, end)`` for indexing, compounds before their parts.

    A compound shares the position of its first part, so phrase queries over the parts
    still see consecutive positions. This is the indexing hot loop: single words, the
    vast majority, take a path without allocating a Chunk.
    """
    norm = stem if stemmed else fold
    pos = 0
    for match in CHUNK_RE.finditer(text):
        raw = match.group()
        if raw.isalnum():
            if len(raw) <= MAX_TOKEN_CHARS:
                yield norm(raw), pos, match.start(), match.end()
                pos += 1
            continue
        for chunk in chunks(raw, stemmed=stemmed):
            offset = match.start()
            if chunk.compound is not None and len(chunk.parts) > 1:
                yield chunk.compound, pos, offset + chunk.start, offset + chunk.end
            for term, start, end in chunk.parts:
                yield term, pos, offset + start, offset + end
                pos += 1
