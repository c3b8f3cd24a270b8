"""One rule for the names files arrive under, and the name a download goes out under.

Every way in (API, pages, hot folder, portal, e-mail, xdomea) passes the sender's name
through ``normalise_filename`` before it is stored, titled or shown: senders choose names
to mislead (``rechnung\\u202efdp.exe`` shows as ``rechnungexe.pdf``), to escape folders
(``../../etc/passwd``) or to break the database and the download header (a NUL byte).
Downloads use ``download_name``, which normalises again (rows written before this rule
exist) and makes the extension agree with the sniffed type, and ``ascii_fallback`` for
the plain ``filename`` parameter of ``Content-Disposition``.
"""

from __future__ import annotations

import re
import unicodedata

from ecase.domain.media import EXTENSIONS, TRUTHFUL_EXTENSIONS

__all__ = [
    "DEFAULT_NAME",
    "MAX_NAME_BYTES",
    "ascii_fallback",
    "download_name",
    "normalise_filename",
]

#: The name of a file that came without a usable one.
DEFAULT_NAME = "dokument"
#: What ext4, NTFS, zip and xdomea exports all hold; also fits ``String(255)`` columns.
MAX_NAME_BYTES = 255
#: A final ``.xyz`` longer than this is part of the name (``Antrag vom 1.Dezember``).
MAX_EXTENSION_CHARS = 16
#: A type without an entry in ``EXTENSIONS`` is handed out as opaque bytes.
UNKNOWN_EXTENSION = ".bin"

_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_SPACES = re.compile(r" {2,}")
_UNDERSCORES = re.compile(r"_{2,}")
# Characters Windows refuses in names; ':' would also open an NTFS alternate data stream.
_WINDOWS_FORBIDDEN = str.maketrans(dict.fromkeys('<>:"|?*', "_"))
# Windows opens a device for these whatever the extension (``nul.pdf``, ``com1.tar.gz``).
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"}
)
# Cc: C0/C1 controls incl. NUL; Cf: bidi embeddings, overrides and isolates, LRM/RLM/ALM,
# zero-width space/joiners, word joiner, BOM, soft hyphen, tags; Cs: lone surrogates, which
# ``os.fsdecode`` makes of undecodable bytes and which no UTF-8 column or header can hold.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
# Default-ignorable letters and marks that render as nothing (filler tricks).
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")
# Survives a quoted-string in every client; '%' is left out because some clients
# percent-decode the plain parameter (RFC 6266, appendix D).
_ASCII_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$&'()+,-.;=@[]^_`{}~"
)
_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)


def normalise_filename(raw: str | None, *, default: str = DEFAULT_NAME) -> str:
    """The name to store and show for a file a sender called ``raw``; never empty.

    Rules, in this order: whitespace of any kind becomes a space, and control, format
    (bidi, zero-width) and surrogate characters are dropped, so nothing hidden survives to
    disguise what follows; NFC, so ``Mu\\u0308ller`` and ``Müller`` are one name; only the
    last path segment that is more than dots and spaces counts, split at ``/`` and ``\\``
    alike, without a drive prefix (``C:``, so ``a:b.pdf`` is ``b.pdf`` as on Windows);
    ``<>:"|?*`` become ``_``; runs of spaces collapse (they push a real extension out of
    sight); a name that is only an extension (``.pdf``) gets ``default`` as its stem;
    leading dots and spaces and trailing dots and spaces go (hidden files, names Windows
    silently shortens); a reserved Windows device name (``CON``, ``nul.pdf``, ``COM1``,
    ``LPT¹``…) gets a leading ``_``; and the result is cut to ``MAX_NAME_BYTES`` of UTF-8
    at a character boundary, keeping an extension of up to ``MAX_EXTENSION_CHARS``
    alphanumerics.

    What is left, if anything, is returned; otherwise ``default``, which must itself be
    a normal, non-empty name (``ValueError`` otherwise: a programming error). The function
    is idempotent, so normalising a stored name again changes nothing. Emoji stay, but
    sequences joined with U+200D fall apart into their parts.
    """
    if not default or _clean(default, default) != default:
        raise ValueError(f"the default file name {default!r} is not a normal name")
    return _clean(raw or "", default) or default


def download_name(stored_name: str | None, media_type: str, *, default: str = DEFAULT_NAME) -> str:
    """The name to hand a file out under: normalised, with an extension telling its type.

    An extension that already agrees with ``media_type`` (``TRUTHFUL_EXTENSIONS``, any
    case) is kept; otherwise the canonical one of ``EXTENSIONS`` is *appended*, not put in
    place of the old one: ``x.html`` → ``x.html.pdf``, ``x.exe`` → ``x.exe.pdf``, ``scan``
    → ``scan.pdf``. Operating systems open a file by its last extension, so the appended
    one decides, and the clerk still sees what the sender called the file, which is itself
    a warning sign worth keeping. A type ecase has no extension for gets ``.bin``. The name
    is shortened from the end of the old name so the new extension always fits.
    """
    name = normalise_filename(stored_name, default=default)
    kind = media_type.split(";", 1)[0].strip().lower()
    extension = EXTENSIONS.get(kind, UNKNOWN_EXTENSION)
    truthful = TRUTHFUL_EXTENSIONS.get(kind, frozenset({extension}))
    if _split_extension(name)[1].lower() in truthful:
        return name
    return _fit(name, extension) or default + extension


def ascii_fallback(name: str, *, default: str = DEFAULT_NAME) -> str:
    """A printable-ASCII stand-in for ``name``, for the plain ``filename`` header parameter.

    German umlauts and ß are spelt out (``Müller`` → ``Mueller``), other letters lose their
    accents (NFKD), and everything outside a conservative set (no ``"``, ``\\``, ``%``,
    ``/``) becomes ``_``. A name with no letter or digit left (``日本語.pdf``) falls back
    to ``default`` with the extension. Modern clients use ``filename*`` instead.
    """
    decomposed = unicodedata.normalize("NFKD", normalise_filename(name).translate(_GERMAN))
    ascii_only = "".join(ch if ch in _ASCII_SAFE else "_" for ch in decomposed if not _is_mark(ch))
    cleaned = _clean(_UNDERSCORES.sub("_", ascii_only), default)
    stem, extension = _split_extension(cleaned)
    if not any(ch.isalnum() for ch in stem):
        return _fit(default, extension)
    return cleaned


def _clean(raw: str, default: str = DEFAULT_NAME) -> str:
    visible = "".join(
        " " if ch.isspace() else ch
        for ch in raw
        if ch.isspace()
        or (unicodedata.category(ch) not in _INVISIBLE_CATEGORIES and ch not in _INVISIBLE)
    )
    segments = [
        s for s in _SEPARATORS.split(unicodedata.normalize("NFC", visible)) if s.strip(" .")
    ]
    if not segments:
        return ""
    name = _DRIVE.sub("", segments[-1]).translate(_WINDOWS_FORBIDDEN)
    name = _SPACES.sub(" ", name)
    head, dot, tail = name.rpartition(".")
    if dot and not head.strip(" .") and _is_extension(tail):
        name = default + dot + tail  # nothing but an extension: ".pdf", "\udcff.pdf"
    name = name.strip(" .")
    if name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        name = "_" + name
    return _fit(*_split_extension(name))


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, extension = name.rpartition(".")
    if dot and stem and _is_extension(extension):
        return stem, dot + extension
    return name, ""


def _fit(stem: str, extension: str) -> str:
    """``stem + extension`` within ``MAX_NAME_BYTES``, shortening the stem; ``""`` if none fits."""
    budget = MAX_NAME_BYTES - len(extension.encode())
    encoded = stem.encode()
    if len(encoded) <= budget:
        return stem + extension
    cut = encoded[:budget].decode("utf-8", "ignore")
    # A mark whose base or further marks were cut off would sit on the extension's dot.
    while cut and _is_mark(cut[-1]):
        cut = cut[:-1]
    cut = cut.rstrip(" .")
    return cut + extension if cut else ""


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


def _is_extension(text: str) -> bool:
    return 0 < len(text) <= MAX_EXTENSION_CHARS and text.isalnum()
