"""Compressed answers for text (pages, JSON, CSS, JS): a slow VPN line carries a fraction.

Flask-Compress does the work (brotli where the browser offers it, else gzip). Left alone:
streamed bodies (originals and other downloads: compressing them would break byte ranges
and cost CPU on bytes that are already compressed), partial answers (206, whose
``Content-Range`` counts identity bytes), and media types that are compressed already
(PDF, images), which are not in ``MIMETYPES``.

BREACH (guessing a secret in a compressed page from its length) needs thousands of
cross-site requests that carry the victim's cookie and echo the attacker's guess. The
session cookie is SameSite=Lax: cross-site subresource requests and POSTs go without it and
get the login redirect, which holds no secret; only top-level navigations carry it.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_compress import Compress

MIMETYPES = (
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/problem+json",
    "image/svg+xml",
)
# Below this a compressed body plus its header saves nothing worth the CPU.
MIN_SIZE = 500


class _RangeSafeCompress(Compress):
    def after_request(self, response: Response | None) -> Response:
        if response is not None and (
            response.status_code == 206 or "Content-Range" in response.headers
        ):
            return response
        result: Response = super().after_request(response)
        return result


compress = _RangeSafeCompress()


def init_app(app: Flask) -> None:
    app.config.update(
        COMPRESS_MIMETYPES=list(MIMETYPES),
        COMPRESS_ALGORITHM=["br", "gzip"],
        # brotli 4 and gzip 6 compress a 200 KB case page in a few milliseconds.
        COMPRESS_BR_LEVEL=4,
        COMPRESS_LEVEL=6,
        COMPRESS_MIN_SIZE=MIN_SIZE,
        COMPRESS_STREAMS=False,
    )
    compress.init_app(app)
