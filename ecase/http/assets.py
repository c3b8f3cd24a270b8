"""Static files under fingerprinted names, so browsers keep them for a year and never ask again.

At startup every file in the static folder is hashed once; ``url_for('static',
filename='ecase.css')`` then yields ``/static/ecase.<sha256[:12]>.css``. That name is
answered with ``Cache-Control: public, max-age=31536000, immutable``: a changed file gets a
new name, so nothing stale can be served from a cache. The plain name keeps working with a
short max-age and an ETag (for links from outside the templates); a fingerprint that is
not the current one is a 404, never an older or a different file.

Small files are held in memory with their brotli and gzip forms made at startup, so the
most requested bytes of a page cost neither disk reads nor compression per request.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]  # ships no type information
from flask import Flask, Response, request, send_from_directory
from werkzeug.exceptions import NotFound

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=60"
FINGERPRINT_LENGTH = 12
# Files above this are streamed from disk (vendor bundles, fonts), the rest kept in memory.
IN_MEMORY_LIMIT = 2 * 1024 * 1024
COMPRESSIBLE_SUFFIXES = frozenset({".css", ".js", ".mjs", ".svg", ".json", ".txt", ".map"})


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file as it was at startup."""

    path: str  # relative to the static folder, with forward slashes
    fingerprinted: str
    mimetype: str
    etag: str
    body: bytes | None  # None: too large to hold, served from disk
    encoded: tuple[tuple[str, bytes], ...]  # (content-coding, body), best first


def fingerprinted_name(path: str, digest: str) -> str:
    folder, _, name = path.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    fingerprinted = f"{stem}.{digest}.{suffix}" if dot and stem else f"{name}.{digest}"
    return f"{folder}/{fingerprinted}" if folder else fingerprinted


def _encodings(path: Path, body: bytes) -> tuple[tuple[str, bytes], ...]:
    if path.suffix.lower() not in COMPRESSIBLE_SUFFIXES or len(body) < 500:
        return ()
    return (
        ("br", brotli.compress(body, quality=11)),
        ("gzip", gzip.compress(body, compresslevel=9, mtime=0)),
    )


def scan(folder: Path) -> dict[str, Asset]:
    """Every file below ``folder``, keyed by its path relative to it."""
    assets: dict[str, Asset] = {}
    if not folder.is_dir():
        return assets
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = file.relative_to(folder).as_posix()
        sha = hashlib.sha256()
        with file.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                sha.update(chunk)
        digest = sha.hexdigest()
        size = file.stat().st_size
        body = file.read_bytes() if size <= IN_MEMORY_LIMIT else None
        assets[relative] = Asset(
            path=relative,
            fingerprinted=fingerprinted_name(relative, digest[:FINGERPRINT_LENGTH]),
            mimetype=_mimetype(relative),
            etag=digest,
            body=body,
            encoded=_encodings(file, body) if body is not None else (),
        )
    return assets


def _accepted(coding: str) -> bool:
    # Quality values of 0 refuse a coding; anything else accepts it.
    for part in request.headers.get("Accept-Encoding", "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() == coding:
            return params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}
    return False


class StaticAssets:
    """The static view and ``url_for`` rewriting of one app; built once in ``init_app``."""

    def __init__(self, folder: Path, assets: dict[str, Asset]) -> None:
        self.folder = folder
        self.by_path = assets
        self.by_fingerprint = {asset.fingerprinted: asset for asset in assets.values()}

    def url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static":
            return
        asset = self.by_path.get(str(values.get("filename", "")))
        if asset is not None:
            values["filename"] = asset.fingerprinted

    def serve(self, filename: str) -> Response:
        asset = self.by_fingerprint.get(filename)
        if asset is not None:
            return self._respond(asset, IMMUTABLE)
        # Only files present at startup are served: an old or a made-up fingerprint is a 404,
        # never the current bytes, which a cache would otherwise keep under it for a year.
        asset = self.by_path.get(filename)
        if asset is None:
            raise NotFound()
        return self._respond(asset, REVALIDATE)

    def _respond(self, asset: Asset, cache_control: str) -> Response:
        if asset.body is None:
            response = send_from_directory(self.folder, asset.path, max_age=None, etag=False)
            response.set_etag(asset.etag)
        else:
            response = self._from_memory(asset)
        response.headers["Cache-Control"] = cache_control
        response.headers.add("Vary", "Accept-Encoding")
        response.make_conditional(request)
        return response

    @staticmethod
    def _from_memory(asset: Asset) -> Response:
        for coding, body in asset.encoded:
            if _accepted(coding):
                response = Response(body, mimetype=asset.mimetype)
                # Already encoded: Flask-Compress leaves answers with a coding alone. Each
                # encoding is its own representation, so it gets its own strong ETag.
                response.headers["Content-Encoding"] = coding
                response.set_etag(f"{asset.etag}-{coding}")
                return response
        response = Response(asset.body, mimetype=asset.mimetype)
        response.set_etag(asset.etag)
        return response


def _mimetype(path: str) -> str:
    if path.endswith((".js", ".mjs")):
        return "text/javascript"  # RFC 9239; some systems still map .js to application/x-...
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


_SCANNED: dict[tuple[str, tuple[tuple[str, int, int], ...]], dict[str, Asset]] = {}


def _scan_once(folder: Path) -> dict[str, Asset]:
    """``scan``, reused while no file changed: apps built in one process (the test suite
    builds hundreds) do not hash and compress the same files again."""
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    signature = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    key = (str(folder.resolve()), signature)
    if key not in _SCANNED:
        _SCANNED.clear()
        _SCANNED[key] = scan(folder)
    return _SCANNED[key]


def init_app(app: Flask) -> StaticAssets:
    """Hash the static folder and take over the ``static`` endpoint (same name, same URL)."""
    folder = Path(app.static_folder or "")
    assets = StaticAssets(folder, _scan_once(folder))
    app.url_defaults(assets.url_defaults)
    app.view_functions["static"] = assets.serve
    return assets
