"""Serving stored originals: always as attachments, in a sandbox, never rendered by us."""

from __future__ import annotations

import logging
import shutil
import tempfile
from typing import BinaryIO, cast
from urllib.parse import quote

from flask import Response, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wsgi import wrap_file

import storage
from ecase.domain.errors import ServiceUnavailableError
from ecase.domain.filenames import ascii_fallback, download_name, normalise_filename
from ecase.services.casefile.views import ContentView

log = logging.getLogger(__name__)
CHUNK = 256 * 1024


def attachment_response(content: ContentView, stream: BinaryIO) -> Response:
    """An attachment that answers ``Range`` (206) and ``If-None-Match`` (304) requests.

    The stored stream is copied to a private temporary file first: the copy verifies the
    checksum before a single byte is sent (a damaged blob is a clean 503, not a broken
    download), and the file is seekable, which byte ranges need. The price is one local
    copy per request; ``BlobStore`` has no ranged read yet. The name goes out normalised
    and with an extension that agrees with the sniffed type (``download_name``), so a PDF
    stored as ``x.html`` is saved as ``x.html.pdf``, never as a page.
    """
    spool = _spool(stream, content.document_id)
    response = Response(
        wrap_file(request.environ, spool), mimetype=content.media_type, direct_passthrough=True
    )
    response.content_length = content.size
    response.headers["Content-Disposition"] = content_disposition(
        download_name(content.filename, content.media_type)
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.set_etag(content.sha256)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    try:
        # answers in place (206 with Content-Range, 304) and returns the same response
        response.make_conditional(request.environ, accept_ranges=True, complete_length=content.size)
    except RequestedRangeNotSatisfiable:
        spool.close()
        raise
    return response


def content_disposition(filename: str) -> str:
    """``attachment`` under ``filename``, safe for every client and never a raw control byte.

    The name is normalised once more, so no caller can smuggle a NUL, CR/LF or bidi
    control into the header. ``filename`` carries the printable-ASCII fallback in quotes
    (RFC 6266); when that differs from the real name, ``filename*`` follows with the name
    percent-encoded as UTF-8 (RFC 8187, formerly 5987), which clients that know it prefer.
    """
    name = normalise_filename(filename)
    fallback = ascii_fallback(name)
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        # quote() with nothing safe leaves only RFC 8187 attr-chars unencoded
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def _spool(stream: BinaryIO, document_id: int) -> BinaryIO:
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response, or below
    try:
        with stream:
            shutil.copyfileobj(stream, spool, CHUNK)
        spool.seek(0)
    except storage.BlobCorruptError as exc:
        spool.close()
        log.error("stored file of document %s failed verification: %s", document_id, exc)
        raise ServiceUnavailableError(
            "The stored file is damaged; the administrators have been notified."
        ) from exc
    except storage.StorageError as exc:
        spool.close()
        raise ServiceUnavailableError(
            "The document store is not reachable. Please try again later."
        ) from exc
    except BaseException:
        spool.close()
        raise
    return cast("BinaryIO", spool)
