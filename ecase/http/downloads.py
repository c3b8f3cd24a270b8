"""Serving stored originals: always as attachments, in a sandbox, never rendered by us."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from flask import Response

from ecase.services.views import ContentView

log = logging.getLogger(__name__)
CHUNK = 256 * 1024


def _chunks(stream: BinaryIO, document_id: int) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK):
            yield chunk
    except Exception:
        # Headers are sent; breaking the connection is the only honest signal left.
        log.exception("original of document %s failed verification while streaming", document_id)
        raise
    finally:
        stream.close()


def attachment_response(content: ContentView, stream: BinaryIO) -> Response:
    response = Response(_chunks(stream, content.document_id), mimetype=content.media_type)
    response.headers["Content-Length"] = str(content.size)
    ascii_name = content.filename.encode("ascii", "replace").decode("ascii").replace('"', "'")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(content.filename)}"
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["ETag"] = f'"{content.sha256}"'
    return response
