"""Name handling: NFC storage form and a folded search key that survives common spelling drift.

Person search proper (variants, transliteration, ranking) lives in ``name_matching``; here
it only has to make storage and exact lookups consistent.
"""

from __future__ import annotations

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NON_LETTERS = re.compile(r"[^a-z0-9]+")


def clean(value: str) -> str:
    """NFC-normalise and collapse whitespace, as every stored name is."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def search_key(value: str) -> str:
    """Lower-case, umlauts transcribed, other diacritics and punctuation dropped."""
    folded = unicodedata.normalize("NFC", value).casefold().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", folded)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_LETTERS.sub(" ", ascii_only).strip()
