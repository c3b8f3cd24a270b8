"""Person search rules: a search form, phonetic keys and explainable matching of names.

Names reach the office in many spellings: passports transliterate Arabic, Cyrillic or
Amharic by different conventions, German forms transcribe umlauts, particles are joined,
hyphenated or dropped. The rules here are pure and deterministic so that every hit can be
explained ("Name (phonetisch): Muhammad ≈ Mohammed") and so that the keys stored in the
database (``index_entries``) are exactly the ones a query computes. Changing a rule that
affects ``phonetic_key`` or ``NameUnit.form`` requires a data migration that recomputes
the stored keys; see docs/adr/0009-person-search.md.
"""

from __future__ import annotations

import enum
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz.distance import JaroWinkler

from ecase.domain.errors import InvalidInputError
from ecase.domain.reference import ReferenceScheme

# -- search form ---------------------------------------------------------------------------

# Letters NFKD does not decompose (DIN 91379 lists them with their search-form base letters),
# plus a Cyrillic transliteration so that names typed from a Ukrainian or Russian document
# meet their Latin spellings. ч becomes "tsch" on purpose: the phonetic key maps it to the
# same class as English "ch" after a consonant, Czech č and Turkish ç.
_SPECIAL_LETTERS = {
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ł": "l",
    "ħ": "h",
    "ı": "i",
    "ŀ": "l",
    "ŧ": "t",
    "ŋ": "n",
    "ə": "a",
    "ĸ": "k",
    "ſ": "s",
}
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "ё": "yo",
    "є": "ye", "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "yi", "й": "y", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "tsch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_FOLD_TABLE = str.maketrans(_SPECIAL_LETTERS | _CYRILLIC)
# Apostrophes, ayn and hamza marks join the letters around them (Sa'id, Mu'min, O'Brien).
_JOINERS = re.compile("['`´ʹʻʼʽʾʿ’‘]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# German umlaut transcriptions (Mueller, Oemer, Guel) fold like the umlaut itself; only after
# a consonant or at the start, so that vowel sequences such as "aue" or "oei" are kept.
_UMLAUT_TRANSCRIPTION = re.compile(r"(?:(?<=^)|(?<=[^aeiou]))([aou])e")


def search_form(text: str) -> str:
    """Lower case, diacritics removed, ß→ss, ä/ae→a, ö/oe→o, ü/ue→u, separators → one space.

    In the spirit of the DIN 91379 search form (letters with diacritics reduced to their
    base letters, special letters expanded), extended by the umlaut transcriptions German
    officials write. Hyphens, dots and commas separate words; apostrophes join them.
    """
    folded = unicodedata.normalize("NFC", text).casefold().translate(_FOLD_TABLE)
    decomposed = unicodedata.normalize("NFKD", folded)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    letters = _NON_ALNUM.sub(" ", _JOINERS.sub("", letters))
    return " ".join(_UMLAUT_TRANSCRIPTION.sub(r"\1", word) for word in letters.split())


# -- phonetic key ---------------------------------------------------------------------------

_VOWELS = frozenset("aeiouy")
# One class per group of sounds that transliterations confuse. Voiced and voiceless pairs
# share a class (Ahmad/Ahmet, Necip/Najib) as in the Kölner Phonetik; g shares the class of
# h/kh/ch because Russian writes g where Arabic and Ukrainian have h (Ibragim, Sergey/Serhiy).
_LETTER_CLASS = {
    "b": "B", "p": "B",
    "d": "T", "t": "T",
    "f": "F", "v": "F", "w": "F",
    "g": "H", "h": "H",
    "k": "K", "q": "K",
    "l": "L", "m": "M", "n": "N", "r": "R",
    "s": "S", "z": "S",
    "x": "KS",
}  # fmt: skip
# Multi-letter spellings, longest first, with their class.
_GRAPHEMES = (
    ("tsch", "C"),
    ("dsch", "C"),
    ("sch", "S"),
    ("tch", "C"),
    ("dzh", "C"),
    ("sh", "S"),
    ("zh", "S"),
    ("sz", "S"),
    ("cz", "C"),
    ("dj", "C"),
    ("kh", "H"),
    ("gh", "H"),
    ("ph", "F"),
    ("th", "T"),
    ("dh", "T"),
    ("ck", "K"),
    ("tz", "S"),
    ("ts", "S"),
)
VOWEL_START = "0"
# Ambiguous spellings yield more than one key (Oleh/Oleg but Fatimah/Fatima); a word keeps
# at most this many, the reading that is most common in the office's names first.
MAX_KEYS = 4


def phonetic_key(word: str) -> str:
    """The main consonant skeleton of one word of a search form, e.g. ``mohammed`` → ``MHMT``.

    Vowels are dropped except at the start (``0``); letters collapse into classes of sounds
    that transliterations confuse; repeated classes collapse. ``Yusuf``, ``Youssef`` and
    ``Jussuf`` share ``CSF``; ``Shevchenko`` and ``Schewtschenko`` share ``SFCNK``.
    """
    return phonetic_keys(word)[0]


@functools.lru_cache(maxsize=65536)
def phonetic_keys(word: str) -> tuple[str, ...]:
    """All skeletons of a word whose spelling is ambiguous, the main reading first.

    Ambiguous are: a final h after a vowel (silent in Fatimah, a g in Oleh), j inside a
    word (a glide in Julija and Maja, dsch in Najib and Khadija), ch after a vowel (kh in
    Achmed, tsch in Kucher), c (k in Popescu, ts in Kuznecov, tsch in Jovanović and Çelik)
    and an initial Je/Ye (Jelena, Yelena, Elena).
    """
    s = word
    if len(s) > 1 and s[0] == "i" and s[1] in "aeiou":
        s = "y" + s[1:]  # Iuliia, Iaroslav: the Ukrainian passport's i is a y
    spellings = [s, s[1:]] if s[:2] in {"ye", "je"} else [s]
    keys: list[str] = []
    for spelling in spellings:
        options: list[tuple[str, ...]] = []
        i = 0
        while i < len(spelling):
            length, codes = _grapheme_at(spelling, i)
            options.append(codes)
            i += length
        for combination in itertools.islice(itertools.product(*options), 2 * MAX_KEYS):
            key = _skeleton(combination)
            if key not in keys:
                keys.append(key)
    return tuple(keys[:MAX_KEYS]) or ("",)


def _skeleton(codes: Sequence[str]) -> str:
    if not codes:
        return ""
    key: list[str] = [VOWEL_START] if codes[0] == "" else []
    for code in codes:
        for letter in code:
            if not key or key[-1] != letter:
                key.append(letter)
    return "".join(key)


def _grapheme_at(s: str, i: int) -> tuple[int, tuple[str, ...]]:
    """Length of the spelling at ``s[i]`` and its classes ("" for vowels and silent letters)."""
    prev = s[i - 1] if i else ""
    if s.startswith("ch", i):
        # German and Arabic "ch" at the start or after a vowel is kh (Chalid, Achmed);
        # after a consonant it is the English rendering of tsch (Shevchenko, Kravchuk).
        if not prev:
            return 2, ("H",)
        return 2, ("H", "C") if prev in _VOWELS else ("C",)
    for spelling, code in _GRAPHEMES:
        if s.startswith(spelling, i):
            return len(spelling), (code,)
    return 1, _letter_codes(s[i], prev, s[i + 1] if i + 1 < len(s) else "")


def _letter_codes(ch: str, prev: str, nxt: str) -> tuple[str, ...]:
    codes: tuple[str, ...]
    if ch == "c":
        codes = ("C", "S") if nxt in {"e", "i", "y"} else ("K", "S", "C")
    elif ch == "h":
        codes = ("", "H") if prev in _VOWELS and not nxt else ("H",)
    elif ch == "y":
        codes = ("C",) if not prev and nxt in _VOWELS else ("",)
    elif ch == "j":
        if not prev:
            codes = ("C",)
        elif nxt in _VOWELS:
            codes = ("C", "")  # Najib (dsch) or Maja (a glide)
        else:
            codes = ("",) if prev in _VOWELS else ("C",)  # Sergej, Andrej: a glide
    elif ch in _VOWELS:
        codes = ("",)
    else:
        codes = (_LETTER_CLASS.get(ch, ""),)
    return codes


# -- names as units -------------------------------------------------------------------------

# The Arabic article, written apart or hyphenated; assimilated forms (ad-Din, as-Sayyid,
# ash-Shami, an-Nur, ar-Rashid, at-Tayyib, az-Zahra) only before their own consonant.
_ARTICLES = frozenset({"al", "el", "ul", "il"})
_SUN_ARTICLES = {
    "ad": "d", "ed": "d", "as": "s", "es": "s", "ash": "sh", "esh": "sh", "an": "n",
    "en": "n", "ar": "r", "er": "r", "at": "t", "et": "t", "az": "z", "ez": "z",
    "ath": "th", "adh": "dh", "ud": "d", "us": "s", "un": "n", "ur": "r", "ut": "t",
}  # fmt: skip
# "Abd al-Rahman", "Abdel Rahman", "Abdul Rahman", "Abdurrahman": one theophoric name.
_ABD_WORDS = frozenset({"abd", "abdul", "abdel", "abdal", "abdol", "abdoul", "abdur", "abdu"})
_ABD_JOINED = re.compile(r"^abd(?:oul|ul|el|al|ol|ur|ar|er|ir|u|e|o)?(?P<rest>[a-z]{3,})$")
_ABD_ARTICLES = _ARTICLES | frozenset(_SUN_ARTICLES)
_ABU_WORDS = frozenset({"abu", "abou", "abo"})
# A joined article (Alhassan, Elkhateeb): the word without it is searched as well.
_JOINED_ARTICLE = re.compile(r"^(?:al|el)(?P<rest>[b-df-hj-np-tv-z][a-z]{3,})$")
# Particles and initials count a quarter: "de la Cruz" still finds "Cruz", "Nguyen Van"
# still finds "Nguyen", but the full spelling ranks first.
PARTICLES = frozenset(
    {
        "von", "van", "de", "da", "di", "du", "del", "della", "der", "den", "la", "le",
        "lo", "ter", "ten", "zu", "vom", "zum", "zur", "dos", "das", "do", "bin", "ben",
        "ibn", "bint", "ould", "ait",
    }
)  # fmt: skip
WEAK_WEIGHT = 0.25


@dataclass(frozen=True, slots=True)
class NameUnit:
    """One searchable word of a name (or two adjacent words joined, for compounds)."""

    text: str  # as written, for explanations ("Al-Khatib")
    form: str  # search form without spaces ("khatib")
    keys: tuple[str, ...]  # phonetic keys, the main reading first ("HTB",)
    weight: float = 1.0
    pair: bool = False
    # A joined article removed (Alhassan → hassan): searched as well.
    bare_form: str | None = None
    bare_keys: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.keys[0]

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.form, self.bare_form) if self.bare_form else (self.form,)

    @property
    def all_keys(self) -> tuple[str, ...]:
        return self.keys + self.bare_keys

    def entries(self) -> set[tuple[str, str]]:
        """(key, form) rows that make this unit findable by indexed equality."""
        rows = {(key, self.form) for key in self.keys}
        if self.bare_form:
            rows |= {(key, self.bare_form) for key in self.bare_keys}
        return rows


@dataclass(frozen=True, slots=True)
class Name:
    """A name analysed into units; ``pairs`` join adjacent words (Gebre Medhin)."""

    text: str
    units: tuple[NameUnit, ...]
    pairs: tuple[NameUnit, ...]

    @property
    def required_weight(self) -> float:
        return sum(u.weight for u in self.units)


_SEPARATORS = r"\s\-‐‑–—/,.;:()"
_PIECE = re.compile(f"[^{_SEPARATORS}]+")


@functools.lru_cache(maxsize=65536)
def analyse(text: str) -> Name:
    """Split a name into units: articles dropped, Abd-/Abu- compounds joined, pairs added."""
    words = [w for w in (_word(text, m) for m in _PIECE.finditer(text)) if w]
    units: list[NameUnit] = []
    i = 0
    while i < len(words):
        form = words[i].form
        following = words[i + 1].form if i + 1 < len(words) else None
        if following and form in _ABD_WORDS:
            taken = 3 if following in _ABD_ARTICLES and i + 2 < len(words) else 2
            parts = words[i : i + taken]
            joined = "".join(p.form for p in parts)
            units.append(_unit(text, parts, joined, phonetic_keys("abd" + parts[-1].form)))
        elif following and form in _ABU_WORDS:
            taken = 2
            parts = words[i : i + taken]
            joined = form + following
            units.append(_unit(text, parts, joined, phonetic_keys(joined)))
        elif following and _is_article(form, following):
            taken = 2
            parts = words[i : i + taken]
            units.append(_unit(text, parts, following, phonetic_keys(following)))
        else:
            taken = 1
            units.append(_single_unit(text, words[i]))
        i += taken
    pairs = tuple(_pair(a, b) for a, b in itertools.pairwise(units) if a.weight == b.weight == 1.0)
    return Name(text, tuple(units), pairs)


def _pair(a: NameUnit, b: NameUnit) -> NameUnit:
    """Two adjacent words written as one (Gebre Medhin / Gebremedhin)."""
    form = a.form + b.form
    return NameUnit(text=f"{a.text} {b.text}", form=form, keys=phonetic_keys(form), pair=True)


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    form: str


def _word(text: str, match: re.Match[str]) -> _Word | None:
    form = "".join(ch for ch in search_form(match[0]) if ch.isalpha())
    return _Word(match.start(), match.end(), form) if form else None


def _unit(text: str, parts: Sequence[_Word], form: str, keys: tuple[str, ...]) -> NameUnit:
    return NameUnit(text=text[parts[0].start : parts[-1].end], form=form, keys=keys)


def _is_article(form: str, following: str) -> bool:
    if form in _ARTICLES:
        return True
    start = _SUN_ARTICLES.get(form)
    return start is not None and following.startswith(start)


def _single_unit(text: str, word: _Word) -> NameUnit:
    raw, form = text[word.start : word.end], word.form
    weight = WEAK_WEIGHT if form in PARTICLES or len(form) == 1 else 1.0
    joined_abd = _ABD_JOINED.match(form)
    if joined_abd:
        return NameUnit(raw, form, phonetic_keys("abd" + joined_abd["rest"]), weight)
    joined_article = _JOINED_ARTICLE.match(form)
    if joined_article:
        bare = joined_article["rest"]
        return NameUnit(
            raw, form, phonetic_keys(form), weight, bare_form=bare, bare_keys=phonetic_keys(bare)
        )
    return NameUnit(raw, form, phonetic_keys(form), weight)


def main_name(family_name: str, given_names: str) -> str:
    """The main name as matched: family name and given names as one sequence of words."""
    return f"{family_name} {given_names}".strip()


def index_entries(names: Iterable[str]) -> set[tuple[str, str]]:
    """The (phonetic key, form) rows stored for a person's names, for indexed lookups."""
    entries: set[tuple[str, str]] = set()
    for text in names:
        name = analyse(text)
        for unit in (*name.units, *name.pairs):
            entries |= unit.entries()
    return entries


def person_entries(
    family_name: str, given_names: str, aliases: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """The rows a person's names need in the key table, in a stable order."""
    return sorted(index_entries([main_name(family_name, given_names), *aliases]))


# -- matching ----------------------------------------------------------------------------------


class Level(enum.IntEnum):
    """How a query word met a word of a name, weakest first."""

    SIMILAR = 1
    PREFIX = 2
    PHONETIC = 3
    VARIANT = 4
    EXACT = 5


_LEVEL_LABEL = {
    Level.EXACT: "",
    Level.VARIANT: " (Schreibweise)",
    Level.PHONETIC: " (phonetisch)",
    Level.PREFIX: " (Wortanfang)",
    Level.SIMILAR: " (ähnlich)",
}
MIN_PREFIX = 3
MIN_SIMILAR_LENGTH = 4
SIMILAR_THRESHOLD = 0.88
# A skeleton of two consonants or fewer says little (Omar, Amir and Umar all give 0MR;
# Said and Zaid give ST), so such names must also begin with the same sound and look alike
# once vowels are folded: Omar/Umar and Rezai/Resai pass, Omar/Amir and Said/Zaid do not.
SHORT_KEY = 2
SHORT_KEY_SIMILARITY = 0.8


@dataclass(frozen=True, slots=True)
class UnitMatch:
    query: str
    found: str
    level: Level
    score: float
    source: str = "Name"  # or "Alias"

    def explain(self) -> str:
        if self.level is Level.EXACT:
            return f"{self.source}: {self.found}"
        return f"{self.source}{_LEVEL_LABEL[self.level]}: {self.query} ≈ {self.found}"


@dataclass(frozen=True, slots=True)
class NameMatch:
    """How well a query name covers a candidate's names; ``score`` lies in 0..1."""

    score: float
    coverage: float  # share of the query's weight that found a counterpart
    matches: tuple[UnitMatch, ...]

    @property
    def complete(self) -> bool:
        return self.coverage >= 0.999

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.explain() for m in self.matches))


@dataclass(frozen=True, slots=True)
class Candidate:
    """Names of one person: the main name first, then aliases."""

    names: tuple[Name, ...]
    sources: tuple[str, ...]

    @classmethod
    def of(cls, main: str, aliases: Sequence[str] = ()) -> Candidate:
        return cls(
            tuple(analyse(n) for n in (main, *aliases)),
            ("Name", *("Alias" for _ in aliases)),
        )

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(
            key for name in self.names for unit in name.units if unit.weight == 1.0
            for key in unit.all_keys
        )  # fmt: skip


def similarity(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two search forms (0..1), also compared with vowels folded."""
    plain = JaroWinkler.normalized_similarity(a, b)
    folded = JaroWinkler.normalized_similarity(_vowel_folded(a), _vowel_folded(b))
    return float(max(plain, folded))


_VOWEL_CLASSES = str.maketrans({"o": "u", "e": "i", "y": "i", "j": "i"})
_REPEATS = re.compile(r"(.)\1+")


@functools.lru_cache(maxsize=65536)
def _vowel_folded(form: str) -> str:
    """o/u, e/i, ou/oo/u, ee/i and y/j/i alike; doubled letters single (Youssef ~ Jusuf)."""
    s = form.replace("ou", "u").replace("oo", "u").replace("ee", "i")
    if s[:1] == "j" or (s[:1] == "i" and s[1:2] in {"a", "e", "o", "u"}):
        s = "y" + s[1:]
    head = s[:1] if s[:1] == "y" else s[:1].translate(_VOWEL_CLASSES)
    return _REPEATS.sub(r"\1", head + s[1:].translate(_VOWEL_CLASSES))


@functools.lru_cache(maxsize=65536)
def compare_units(query: NameUnit, found: NameUnit) -> tuple[Level, float] | None:
    """The best level at which one query unit meets one unit of a name, with its score.

    Particles and initials (weak units) meet only their own spelling or a word they begin.
    """
    if query.text.casefold() == found.text.casefold():
        return Level.EXACT, 1.0
    if set(query.forms) & set(found.forms):
        return Level.VARIANT, 0.95
    if found.weight < 1.0:
        return None
    if query.weight < 1.0 or len(query.form) < MIN_PREFIX:
        return _prefix(query, found)
    return _sounds_alike(query, found) or _prefix(query, found) or _looks_alike(query, found)


def _sounds_alike(query: NameUnit, found: NameUnit) -> tuple[Level, float] | None:
    shared = set(query.all_keys) & set(found.all_keys)
    if not shared:
        return None
    sim = _similarity(query, found)
    long_key = max(len(k.removeprefix(VOWEL_START)) for k in shared) > SHORT_KEY
    if long_key or (sim >= SHORT_KEY_SIMILARITY and _same_onset(query.forms, found.forms)):
        return Level.PHONETIC, 0.6 + 0.3 * sim
    return None


def _prefix(query: NameUnit, found: NameUnit) -> tuple[Level, float] | None:
    if any(f.startswith(query.form) for f in found.forms):
        return Level.PREFIX, 0.5 + 0.4 * len(query.form) / len(found.form)
    return None


def _looks_alike(query: NameUnit, found: NameUnit) -> tuple[Level, float] | None:
    if min(len(query.form), len(found.form)) < MIN_SIMILAR_LENGTH:
        return None
    sim = _similarity(query, found)
    return (Level.SIMILAR, 0.5 * sim) if sim >= SIMILAR_THRESHOLD else None


def _similarity(query: NameUnit, found: NameUnit) -> float:
    return max(similarity(q, f) for q in query.forms for f in found.forms)


_ONSETS = (
    ("sch", "s"),
    ("sh", "s"),
    ("zh", "s"),
    ("kh", "h"),
    ("ch", "h"),
    ("gh", "h"),
    ("ph", "f"),
)


def _onsets(form: str) -> set[str]:
    """The first sound, finer than the key's classes (s and z differ): for short names.
    An initial Je/Ye is read both ways, as ``phonetic_keys`` does."""
    for spelling, sound in _ONSETS:
        if form.startswith(spelling):
            return {sound}
    first = form[:1]
    if form[:2] in {"je", "ye"}:
        return {"y", "V"}
    if first in {"j", "y"} or (first == "i" and form[1:2] in {"a", "e", "o", "u"}):
        return {"y"}
    if first in _VOWELS:
        return {"V"}
    return {{"w": "v", "c": "k", "q": "k"}.get(first, first)}


def _same_onset(a: Iterable[str], b: Iterable[str]) -> bool:
    return bool(set().union(*map(_onsets, a)) & set().union(*map(_onsets, b)))


@dataclass(frozen=True, slots=True)
class _Hit:
    match: UnitMatch
    name_index: int
    unit: NameUnit
    weight: float  # of the query words it covers


def _best(query: NameUnit, candidate: Candidate, weight: float) -> _Hit | None:
    """The best match of one query unit over all names of the candidate."""
    best: _Hit | None = None
    for n, (name, source) in enumerate(zip(candidate.names, candidate.sources, strict=True)):
        for unit in (*name.units, *name.pairs):
            result = compare_units(query, unit)
            if result is None:
                continue
            level, score = result
            if best is None or (score, level) > (best.match.score, best.match.level):
                best = _Hit(UnitMatch(query.text, unit.text, level, score, source), n, unit, weight)
    return best


def match_name(query: Name, candidate: Candidate) -> NameMatch | None:
    """Match every query unit (or two adjacent ones joined) against the candidate's names.

    The score is the weighted mean of the unit scores over the query (unmatched units
    count zero), nudged by how much of the best-covered name of the candidate was used.
    """
    units = query.units
    total_weight = query.required_weight
    if not units or total_weight <= 0:
        return None
    singles = [_best(u, candidate, u.weight) for u in units]
    pairs = [
        _best(_pair(a, b), candidate, a.weight + b.weight) for a, b in itertools.pairwise(units)
    ]
    # best[i]: the highest weighted score for units[i:] and the hits that give it.
    best: list[tuple[float, tuple[_Hit, ...]]] = [(0.0, ())] * (len(units) + 1)
    for i in range(len(units) - 1, -1, -1):
        option = best[i + 1]
        single = singles[i]
        if single is not None:
            option = (option[0] + single.weight * single.match.score, (single, *option[1]))
        pair = pairs[i] if i < len(pairs) else None
        if pair is not None and pair.match.level >= Level.PHONETIC:
            after = best[i + 2]
            joined = (after[0] + pair.weight * pair.match.score, (pair, *after[1]))
            if joined[0] > option[0]:
                option = joined
        best[i] = option
    score, hits = best[0]
    if not hits:
        return None
    coverage = sum(hit.weight for hit in hits) / total_weight
    used: dict[int, float] = {}
    for hit in hits:
        used[hit.name_index] = used.get(hit.name_index, 0.0) + (
            2.0 if hit.unit.pair else hit.unit.weight
        )
    found_coverage = max(
        min(1.0, weight / (candidate.names[n].required_weight or 1.0)) for n, weight in used.items()
    )
    final = 0.9 * score / total_weight + 0.1 * found_coverage
    return NameMatch(round(min(final, 1.0), 4), coverage, tuple(hit.match for hit in hits))


def names_match(a: str, b: str) -> bool:
    """Every word of one name meets a word of the other phonetically or better (symmetric).

    Used for the duplicate flags and the variant tests; ranking uses ``match_name``.
    """
    first, second = analyse(a), analyse(b)
    return _covers(first, second) or _covers(second, first)


def _covers(query: Name, other: Name) -> bool:
    if not _may_cover(query, other):
        return False
    found = match_name(query, Candidate((other,), ("Name",)))
    return (
        found is not None
        and found.complete
        and all(m.level >= Level.PHONETIC for m in found.matches)
    )


def _may_cover(query: Name, other: Name) -> bool:
    """Cheap necessary condition of ``_covers``: every query word (alone or joined with a
    neighbour) shares a key or a form with some unit of the other name."""
    theirs = {k for u in (*other.units, *other.pairs) for k in (*u.all_keys, *u.forms)}

    def shares(unit: NameUnit) -> bool:
        return not theirs.isdisjoint((*unit.all_keys, *unit.forms))

    units = query.units
    joined = [shares(_pair(a, b)) for a, b in itertools.pairwise(units)]
    return all(
        unit.weight < 1.0
        or shares(unit)
        or (i > 0 and joined[i - 1])
        or (i < len(joined) and joined[i])
        for i, unit in enumerate(units)
    )


def same_names(a: Candidate, b: Candidate) -> bool:
    """Any name (main or alias) of one person matches any name of the other, as in
    ``names_match``; the duplicate flag is this plus the same birth date."""
    if not a.keys & b.keys:
        return False  # cheap test first: no word shares a key
    return any(_covers(x, y) or _covers(y, x) for x in a.names for y in b.names)


# -- queries ---------------------------------------------------------------------------------

_DATE_DE = re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$")
_DATE_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_AZR = re.compile(r"^(?=.*\d)[0-9A-Z]{6,20}$")


@dataclass(frozen=True, slots=True)
class PersonQuery:
    """What a search box query asks for; any part may be absent."""

    text: str
    name: Name | None = None
    birth_date: date | None = None
    birth_year: int | None = None
    azr_numbers: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    @property
    def transposed_date(self) -> date | None:
        """Day and month swapped, a frequent slip with foreign documents."""
        d = self.birth_date
        if d is None or d.day > 12 or d.day == d.month:
            return None
        return date(d.year, d.day, d.month)

    @property
    def is_empty(self) -> bool:
        return not (
            self.name or self.birth_date or self.birth_year or self.azr_numbers or self.references
        )


def parse_person_query(text: str, scheme: ReferenceScheme) -> PersonQuery:
    """Split a query into name words, a birth date or year, AZR numbers and Aktenzeichen.

    Dates are ``04.03.1990`` or ``1990-03-04``; a four-digit year 19xx/20xx narrows by year;
    a word of 6-20 letters and digits with at least one digit is an AZR number; a word the
    office's Aktenzeichen scheme parses is a reference. Everything else is a name.
    """
    references: list[str] = []
    whole = _reference(text, scheme)
    if whole:
        return PersonQuery(text=text, references=(whole,))
    name_words: list[str] = []
    birth_date: date | None = None
    birth_year: int | None = None
    azr: list[str] = []
    for chunk in re.split(r"[\s,;]+", text.strip()):
        if not chunk:
            continue
        parsed = _date(chunk)
        if parsed is not None:
            birth_date = parsed
        elif _YEAR.match(chunk):
            birth_year = int(chunk)
        elif (reference := _reference(chunk, scheme)) is not None:
            references.append(reference)
        elif _AZR.match(chunk.upper()):
            azr.append(chunk.upper())
        else:
            name_words.append(chunk)
    name = analyse(" ".join(name_words)) if name_words else None
    if name is not None and not name.units:
        name = None
    return PersonQuery(
        text=text,
        name=name,
        birth_date=birth_date,
        birth_year=None if birth_date else birth_year,
        azr_numbers=tuple(dict.fromkeys(azr)),
        references=tuple(dict.fromkeys(references)),
    )


def _date(chunk: str) -> date | None:
    found = _DATE_DE.match(chunk) or _DATE_ISO.match(chunk)
    if not found:
        return None
    try:
        return date(int(found["y"]), int(found["m"]), int(found["d"]))
    except ValueError:
        raise InvalidInputError(f"'{chunk}' is not a valid date.", field="q") from None


def _reference(text: str, scheme: ReferenceScheme) -> str | None:
    try:
        return scheme.normalise(text)
    except (InvalidInputError, ValueError):
        return None
