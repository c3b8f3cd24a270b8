"""Build the configured blob store from its URL (``ECASE_STORAGE_URL``) in the composition root."""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from storage.base import BlobStore, StorageError
from storage.filesystem import FilesystemBlobStore
from storage.memory import InMemoryBlobStore
from storage.s3 import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_PART_SIZE,
    DEFAULT_READ_TIMEOUT,
    S3BlobStore,
)

__all__ = ["InvalidStorageUrlError", "open_blob_store"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_S3_PARAMS = frozenset(
    {"endpoint", "secure", "region", "part_size", "timeout", "connect_timeout", "read_timeout"}
)


class InvalidStorageUrlError(StorageError, ValueError):
    """The storage URL cannot be understood; raised at start-up, before any I/O."""


def open_blob_store(url: str, *, access_key: str | None, secret_key: str | None) -> BlobStore:
    """Return the store a URL names; nothing is created or contacted yet.

    ``file:///abs/path`` or ``file://relative/path``: `FilesystemBlobStore`.
    ``s3://bucket?endpoint=host:port[&secure=0][&region=r][&part_size=bytes]``
    ``[&timeout=s][&connect_timeout=s][&read_timeout=s]``: `S3BlobStore`, TLS unless
    ``secure=0``, with the keys passed separately (never in the URL, which ends up in logs).
    ``timeout`` sets both timeouts in seconds and the specific ones win over it; the
    defaults are the adapter's (`storage.s3.DEFAULT_CONNECT_TIMEOUT`, 5 s, and
    `storage.s3.DEFAULT_READ_TIMEOUT`, 30 s). ``memory://``: `InMemoryBlobStore`, for tests.
    """
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        # Do not echo the URL: it contains a secret.
        raise InvalidStorageUrlError(
            "credentials do not belong in the storage URL; pass the S3 access and secret key "
            "separately"
        )
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.query or parts.fragment:
            raise InvalidStorageUrlError(f"file storage URL takes no query or fragment: {url!r}")
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise InvalidStorageUrlError(f"file storage URL names no directory: {url!r}")
        return FilesystemBlobStore(Path(path))
    if scheme == "memory":
        if parts.netloc or parts.path or parts.query:
            raise InvalidStorageUrlError(f"memory storage URL takes no arguments: {url!r}")
        return InMemoryBlobStore()
    if scheme == "s3":
        return _open_s3(url, access_key=access_key, secret_key=secret_key)
    raise InvalidStorageUrlError(
        f"unsupported storage URL {url!r}: expected file://, s3:// or memory://"
    )


def _open_s3(url: str, *, access_key: str | None, secret_key: str | None) -> S3BlobStore:
    parts = urlsplit(url)
    bucket = parts.netloc
    if not bucket:
        raise InvalidStorageUrlError(f"S3 storage URL names no bucket: {url!r}")
    if parts.path not in ("", "/") or parts.fragment:
        raise InvalidStorageUrlError(f"S3 storage URL takes only a bucket and a query: {url!r}")
    params: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if name not in _S3_PARAMS:
            raise InvalidStorageUrlError(
                f"unknown S3 storage URL parameter {name!r}; known: {sorted(_S3_PARAMS)}"
            )
        if name in params:
            raise InvalidStorageUrlError(f"S3 storage URL repeats parameter {name!r}")
        params[name] = value
    endpoint = params.get("endpoint", "")
    if not endpoint:
        raise InvalidStorageUrlError(f"S3 storage URL needs endpoint=host:port: {url!r}")
    if "://" in endpoint or "/" in endpoint:
        raise InvalidStorageUrlError(
            f"S3 endpoint must be host[:port] without scheme or path (use secure=0 for "
            f"plain HTTP): {endpoint!r}"
        )
    secure = _parse_bool(params.get("secure", "1"), "secure")
    part_size = _parse_int(params.get("part_size", str(DEFAULT_PART_SIZE)), "part_size")
    connect_timeout = _timeout(params, "connect_timeout", DEFAULT_CONNECT_TIMEOUT)
    read_timeout = _timeout(params, "read_timeout", DEFAULT_READ_TIMEOUT)
    if not access_key or not secret_key:
        raise InvalidStorageUrlError(
            "S3 storage needs an access key and a secret key (ECASE_S3_ACCESS_KEY, "
            "ECASE_S3_SECRET_KEY)"
        )
    try:
        return S3BlobStore(
            endpoint=endpoint,
            access_key=access_key,
            secret_key=secret_key,
            bucket=bucket,
            secure=secure,
            region=params.get("region") or None,
            part_size=part_size,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
    except ValueError as exc:
        raise InvalidStorageUrlError(f"invalid S3 storage URL {url!r}: {exc}") from exc


def _parse_bool(value: str, name: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidStorageUrlError(f"S3 storage URL parameter {name} must be 0 or 1, not {value!r}")


def _parse_int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidStorageUrlError(
            f"S3 storage URL parameter {name} must be a whole number of bytes, not {value!r}"
        ) from None


def _timeout(params: dict[str, str], name: str, default: float) -> float:
    if name in params:
        return _parse_seconds(params[name], name)
    if "timeout" in params:
        return _parse_seconds(params["timeout"], "timeout")
    return default


def _parse_seconds(value: str, name: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise InvalidStorageUrlError(
            f"S3 storage URL parameter {name} must be a positive number of seconds, not {value!r}"
        )
    return seconds
