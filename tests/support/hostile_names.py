"""Hostile file names and contents from the attack test, with what ecase must make of them.

One corpus for every way in (API, pages, hot folder, portal, e-mail, xdomea), so each
intake path can be tested against the same names: ``HOSTILE_NAMES`` says what is stored
(``normalise_filename``) and what a PDF download is called (``download_name``);
``unsafe_reasons`` checks the rules for paths whose exact result differs (titles).
``HOSTILE_CONTENTS`` are first bytes and the type the sniffer must give them (``None``:
refused).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

PDF = "application/pdf"
_FORBIDDEN = frozenset('/\\<>:"|?*')
_RESERVED_STEMS = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"}
)


@dataclass(frozen=True, slots=True)
class HostileName:
    """A name a sender may send, why it is hostile, and what ecase stores and hands out."""

    raw: str | None
    description: str
    stored: str
    as_pdf: str

    @property
    def id(self) -> str:
        return self.description


HOSTILE_NAMES: list[HostileName] = [
    # control characters
    HostileName("bericht\x00.pdf", "NUL byte", "bericht.pdf", "bericht.pdf"),
    HostileName("a\x01b\x7fc.pdf", "C0 control and DEL", "abc.pdf", "abc.pdf"),
    HostileName("a\x1fb.pdf", "unit separator, whitespace to Python", "a b.pdf", "a b.pdf"),
    HostileName("a\x9bb\x85c.pdf", "C1 CSI and NEL", "ab c.pdf", "ab c.pdf"),
    HostileName(
        "a\r\nSet-Cookie: x=1.pdf",
        "CR LF header injection",
        "a Set-Cookie_ x=1.pdf",
        "a Set-Cookie_ x=1.pdf",
    ),
    HostileName("\t tab\n.pdf\n", "tabs and newlines", "tab .pdf", "tab .pdf"),
    HostileName("a\u00a0\u3000b.pdf", "no-break and ideographic space", "a b.pdf", "a b.pdf"),
    HostileName("a\u2028b\u2029.pdf", "line and paragraph separators", "a b .pdf", "a b .pdf"),
    # bidi controls
    HostileName(
        "rechnung\u202efdp.exe",
        "RLO override showing rechnungexe.pdf",
        "rechnungfdp.exe",
        "rechnungfdp.exe.pdf",
    ),
    HostileName(
        "\u202bembed\u202a\u202cding.pdf", "RLE, LRE and PDF", "embedding.pdf", "embedding.pdf"
    ),
    HostileName("\u202dlro.pdf", "LRO override", "lro.pdf", "lro.pdf"),
    HostileName("\u2066x\u2069\u2067y\u2068z.pdf", "bidi isolates", "xyz.pdf", "xyz.pdf"),
    HostileName("a\u200eb\u200f\u061cc.pdf", "LRM, RLM and ALM", "abc.pdf", "abc.pdf"),
    # invisible characters
    HostileName(
        "in\u200bvoice\u200c\u200d\u2060\ufeff.pdf",
        "zero-width space, joiners, word joiner, BOM",
        "invoice.pdf",
        "invoice.pdf",
    ),
    HostileName("Be\u00adscheid.pdf", "soft hyphen", "Bescheid.pdf", "Bescheid.pdf"),
    HostileName("\u3164.pdf", "Hangul filler as the whole stem", "dokument.pdf", "dokument.pdf"),
    HostileName(
        "\udcff\udcfe.pdf", "lone surrogates from undecodable bytes", "dokument.pdf", "dokument.pdf"
    ),
    # paths
    HostileName("../../etc/passwd", "relative traversal", "passwd", "passwd.pdf"),
    HostileName("/etc/passwd", "absolute POSIX path", "passwd", "passwd.pdf"),
    HostileName("C:\\Windows\\x.pdf", "absolute Windows path", "x.pdf", "x.pdf"),
    HostileName("..\\..\\x.pdf", "Windows traversal", "x.pdf", "x.pdf"),
    HostileName("C:x.pdf", "drive-relative Windows path", "x.pdf", "x.pdf"),
    HostileName("\\\\server\\share\\x.pdf", "UNC path", "x.pdf", "x.pdf"),
    HostileName("\\\\?\\C:\\x.pdf", "Win32 device path", "x.pdf", "x.pdf"),
    HostileName("x.pdf/..", "trailing parent segment", "x.pdf", "x.pdf"),
    HostileName("a/\x00/b.pdf", "NUL between separators", "b.pdf", "b.pdf"),
    HostileName(
        "%2e%2e%2fetc.pdf",
        "percent-encoded traversal stays literal",
        "%2e%2e%2fetc.pdf",
        "%2e%2e%2fetc.pdf",
    ),
    HostileName(
        "..\uff0f..\uff0fx.pdf",
        "fullwidth solidus is no separator",
        "\uff0f..\uff0fx.pdf",
        "\uff0f..\uff0fx.pdf",
    ),
    # Windows names
    HostileName("CON", "reserved device name", "_CON", "_CON.pdf"),
    HostileName("nul.pdf", "reserved name with extension", "_nul.pdf", "_nul.pdf"),
    HostileName("com1.txt", "reserved COM port", "_com1.txt", "_com1.txt.pdf"),
    HostileName(
        "LPT9.tar.gz", "reserved LPT port, two extensions", "_LPT9.tar.gz", "_LPT9.tar.gz.pdf"
    ),
    HostileName("com\u00b9.pdf", "reserved superscript port", "_com\u00b9.pdf", "_com\u00b9.pdf"),
    HostileName("con .pdf", "reserved name with trailing space", "_con .pdf", "_con .pdf"),
    HostileName("CONSOLE.pdf", "not reserved, only starts like it", "CONSOLE.pdf", "CONSOLE.pdf"),
    HostileName(
        'a<b>c:d"e|f?g*h.pdf',
        "characters Windows forbids",
        "a_b_c_d_e_f_g_h.pdf",
        "a_b_c_d_e_f_g_h.pdf",
    ),
    HostileName("bericht.pdf. . ", "trailing dots and spaces", "bericht.pdf", "bericht.pdf"),
    HostileName(" ..bericht.pdf", "leading space and dots", "bericht.pdf", "bericht.pdf"),
    # length
    HostileName("a" * 300 + ".pdf", "300 ASCII characters", "a" * 251 + ".pdf", "a" * 251 + ".pdf"),
    HostileName("x" * 300, "300 characters, no extension", "x" * 255, "x" * 251 + ".pdf"),
    HostileName(
        "ä" * 200 + ".pdf",
        "two-byte characters over the limit",
        "ä" * 125 + ".pdf",
        "ä" * 125 + ".pdf",
    ),
    HostileName(
        "a" * 248 + "q\u0323\u0307.pdf",
        "cut between two combining marks",
        "a" * 248 + "q.pdf",
        "a" * 248 + "q.pdf",
    ),
    HostileName(
        "rechnung.pdf" + " " * 50 + ".exe",
        "spaces hiding the real extension",
        "rechnung.pdf .exe",
        "rechnung.pdf .exe.pdf",
    ),
    # Unicode forms and emoji
    HostileName("Mu\u0308ller.pdf", "NFD umlaut", "Müller.pdf", "Müller.pdf"),
    HostileName("📄 Antrag.pdf", "emoji", "📄 Antrag.pdf", "📄 Antrag.pdf"),
    HostileName(
        "Familie 👨\u200d👩\u200d👧.pdf",
        "ZWJ emoji sequence",
        "Familie 👨👩👧.pdf",
        "Familie 👨👩👧.pdf",
    ),
    HostileName(
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f.pdf",
        "flag with tag characters",
        "🏴.pdf",
        "🏴.pdf",
    ),
    # empty
    HostileName(None, "no name at all", "dokument", "dokument.pdf"),
    HostileName("", "empty name", "dokument", "dokument.pdf"),
    HostileName(".", "one dot", "dokument", "dokument.pdf"),
    HostileName("...", "only dots", "dokument", "dokument.pdf"),
    HostileName(" . . ", "dots and spaces", "dokument", "dokument.pdf"),
    HostileName("/", "only a separator", "dokument", "dokument.pdf"),
    HostileName("\u202e\u200b", "only invisible characters", "dokument", "dokument.pdf"),
    HostileName(".pdf", "only an extension", "dokument.pdf", "dokument.pdf"),
    # extension against type
    HostileName("x.html", "PDF named as a page", "x.html", "x.html.pdf"),
    HostileName("x.exe", "PDF named as a program", "x.exe", "x.exe.pdf"),
    HostileName("SCAN.PDF", "truthful extension in capitals", "SCAN.PDF", "SCAN.PDF"),
    HostileName(
        "Antrag vom 1. Mai",
        "dot that is no extension",
        "Antrag vom 1. Mai",
        "Antrag vom 1. Mai.pdf",
    ),
    HostileName("Bescheid 2026.pdf", "an ordinary name", "Bescheid 2026.pdf", "Bescheid 2026.pdf"),
]


def unsafe_reasons(name: str) -> list[str]:
    """Why ``name`` breaks the file-name rules; empty when it keeps all of them."""
    reasons = []
    if not name:
        reasons.append("empty")
    if len(name.encode("utf-8", "surrogatepass")) > 255:
        reasons.append("longer than 255 bytes of UTF-8")
    hidden = {unicodedata.category(ch) for ch in name} & {"Cc", "Cf", "Cs", "Zl", "Zp"}
    if hidden:
        reasons.append(f"contains characters of category {sorted(hidden)}")
    if any(ch.isspace() and ch != " " for ch in name):
        reasons.append("contains whitespace other than a space")
    if _FORBIDDEN & set(name):
        reasons.append("contains a path separator or a character Windows forbids")
    if name[:1] in {".", " "} or name[-1:] in {".", " "}:
        reasons.append("starts or ends with a dot or a space")
    if name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED_STEMS:
        reasons.append("is a reserved Windows device name")
    if unicodedata.normalize("NFC", name) != name:
        reasons.append("is not NFC")
    return reasons


@dataclass(frozen=True, slots=True)
class HostileContent:
    """First bytes of a file, why they matter, and the type they must be sniffed as."""

    head: bytes
    description: str
    media_type: str | None  # None: refused

    @property
    def id(self) -> str:
        return self.description


HOSTILE_CONTENTS: list[HostileContent] = [
    HostileContent(
        b"<html><script>alert(document.domain)</script>\n%PDF-1.7\n1 0 obj<<>>endobj",
        "HTML page with a PDF header inside the first KiB",
        None,
    ),
    HostileContent(b"<svg onload=alert(1)>%PDF-1.7\n", "SVG with a PDF header", None),
    HostileContent(b"<!--%PDF-1.7-->\n<script>x</script>", "PDF header in an HTML comment", None),
    HostileContent(b"\xef\xbb\xbf%PDF-1.7\n", "UTF-8 byte-order mark before the header", None),
    HostileContent(b"\x00\x00\x00%PDF-1.7\n", "NUL padding before the header", None),
    HostileContent(b"junk\r\n%PDF-1.4\n", "text before the header", None),
    HostileContent(b"%!PS-Adobe-3.0\n%PDF-1.4\n", "PostScript before the header", None),
    HostileContent(b"%PDF1.4\n", "header without the dash", None),
    HostileContent(b" " * 1020 + b"%PDF-1.4\n", "header cut at the first KiB", None),
    HostileContent(b"GIF89a<script>alert(1)</script>", "GIF with script", None),
    HostileContent(b"PK\x03\x04%PDF-1.7", "zip with a PDF header", None),
    HostileContent(b"", "empty file", None),
    HostileContent(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF header at offset 0", PDF),
    HostileContent(b"%PDF-2.0\n", "PDF 2.0 header", PDF),
    HostileContent(b"\r\n\t \f%PDF-1.4\n", "PDF after PDF white-space", PDF),
    HostileContent(b" " * 1019 + b"%PDF-1.4\n", "PDF header ending at byte 1024", PDF),
    HostileContent(b"II*\x00\x08\x00\x00\x00", "little-endian TIFF", "image/tiff"),
    HostileContent(b"MM\x00*\x00\x00\x00\x08", "big-endian TIFF", "image/tiff"),
    HostileContent(b"II+\x00\x08\x00\x00\x00", "BigTIFF", "image/tiff"),
    HostileContent(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG", "image/png"),
    HostileContent(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG", "image/jpeg"),
    HostileContent(
        b"\x89PNG\r\n\x1a\n<html><script>x</script>", "PNG magic, then HTML", "image/png"
    ),
]
