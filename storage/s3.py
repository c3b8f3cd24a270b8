"""Blob storage in an S3-compatible object store (MinIO in production), through the minio SDK."""

from __future__ import annotations

import contextlib
import io
import logging
import math
import uuid
from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO, Self, cast

import urllib3
from minio import Minio
from minio.commonconfig import CopySource
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.helpers import MAX_PART_SIZE, MIN_PART_SIZE, check_bucket_name
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import NewConnectionError, ProtocolError

from storage._streams import HashingReader, PrefixedReader, drain, verifying_reader
from storage.base import (
    BlobInfo,
    BlobNotFoundError,
    StorageError,
    StorageUnavailableError,
    validate_key,
)

__all__ = ["S3BlobStore"]

logger = logging.getLogger(__name__)

BLOB_PREFIX = "blobs/"
TMP_PREFIX = "tmp/"
DEFAULT_PART_SIZE = 16 * 1024 * 1024
#: Seconds to wait for a TCP connection (and for each write of a request body).
DEFAULT_CONNECT_TIMEOUT = 5.0
#: Seconds to wait for the next bytes of an answer, also between chunks of a download.
DEFAULT_READ_TIMEOUT = 30.0
#: Extra attempts after a refused or dropped connection or a 5xx answer; never after a timeout.
DEFAULT_RETRIES = 2

_NOT_FOUND = frozenset({"NoSuchKey", "NoSuchBucket"})
# Answers that mean "these credentials or this clock will not work", not "bad request".
_REFUSED = frozenset(
    {
        "AccessDenied",
        "AccountProblem",
        "AllAccessDisabled",
        "ExpiredToken",
        "InvalidAccessKeyId",
        "InvalidToken",
        "RequestTimeTooSkewed",
        "SignatureDoesNotMatch",
    }
)


class S3BlobStore:
    """Stores each blob as the object ``blobs/<sha256>`` in one bucket.

    The key is only known once the last byte has been hashed, so content larger than one
    part is first streamed as a multipart upload to ``tmp/<uuid>`` and then copied
    server-side to its final name; content that fits in one part is hashed in memory and
    written straight to its final name. Either way a blob appears under its key complete
    or not at all. Temporary objects are deleted on success and on failure; only a crash
    or an unreachable server leaves one behind, which a bucket lifecycle rule on ``tmp/``
    (and on incomplete multipart uploads) should expire.

    The bucket is created on the first `put` if it does not exist, or explicitly with
    `ensure_bucket`; constructing the store does no network I/O. Connection failures,
    timeouts, 5xx answers after retries and refused credentials raise
    `StorageUnavailableError`.

    A hung server costs a caller at most about one timeout per call: ``connect_timeout`` to
    connect or to push request bytes, ``read_timeout`` for each wait on answer bytes (so a
    download that stops mid-body fails too, while a slow but moving one does not). A
    timeout is never retried; refused or dropped connections and 5xx answers are retried
    ``retries`` times with a short backoff, ignoring ``Retry-After``. `check` waits at most
    ``connect_timeout`` for its answer as well, so that readiness probes arriving every few
    seconds cannot pile up behind a hung server.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool,
        region: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        ca_file: str | None = None,
    ) -> None:
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ValueError(f"part_size must be between {MIN_PART_SIZE} and {MAX_PART_SIZE}")
        for name, seconds in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout)):
            if not (math.isfinite(seconds) and seconds > 0):
                raise ValueError(f"{name} must be a positive number of seconds, not {seconds!r}")
        if retries < 0:
            raise ValueError(f"retries must not be negative, not {retries!r}")
        check_bucket_name(bucket, strict=True)
        self._bucket = bucket
        self._part_size = part_size
        self._bucket_ready = False
        # minio's default client waits 5 minutes per attempt and retries 5 times; a web
        # request waiting on a dead server must fail within seconds instead.
        self._http = _pool(connect_timeout, read_timeout, retries, ca_file)
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=self._http,
        )
        self._probe_http = _pool(connect_timeout, min(connect_timeout, read_timeout), 0, ca_file)
        self._probe = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=self._probe_http,
        )

    @property
    def bucket(self) -> str:
        return self._bucket

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists; safe to call from several nodes at once."""
        with _s3_errors("create bucket"):
            if not self._client.bucket_exists(self._bucket):
                try:
                    self._client.make_bucket(self._bucket)
                except S3Error as exc:
                    if exc.code != "BucketAlreadyOwnedByYou":
                        raise
        self._bucket_ready = True

    def put(self, stream: BinaryIO, *, max_size: int | None = None) -> BlobInfo:
        if not self._bucket_ready:
            self.ensure_bucket()
        reader = HashingReader(stream, max_size)
        head = reader.read(self._part_size + 1)
        if reader.eof:
            info = reader.info()
            name = _object_name(info.key)
            with _s3_errors("write"):
                if not self._object_exists(name):
                    self._client.put_object(self._bucket, name, io.BytesIO(head), len(head))
            return info
        return self._put_via_temporary(PrefixedReader(head, reader), reader)

    def _put_via_temporary(self, source: PrefixedReader, reader: HashingReader) -> BlobInfo:
        tmp_name = f"{TMP_PREFIX}{uuid.uuid4().hex}"
        try:
            with _s3_errors("upload"):
                # On any error, including one raised while reading the caller's stream,
                # minio aborts the multipart upload before re-raising.
                self._client.put_object(
                    self._bucket,
                    tmp_name,
                    cast(BinaryIO, source),  # minio only calls read(n)
                    length=-1,
                    part_size=self._part_size,
                    # Parallel parts would hold several parts in memory per upload.
                    num_parallel_uploads=1,
                )
            info = reader.info()
            name = _object_name(info.key)
            with _s3_errors("write"):
                if not self._object_exists(name):
                    self._client.copy_object(self._bucket, name, CopySource(self._bucket, tmp_name))
            return info
        finally:
            self._remove_quietly(tmp_name)

    def open(self, key: str) -> BinaryIO:
        name = _object_name(key)
        with _s3_errors("read", key):
            response = self._client.get_object(self._bucket, name)
        return verifying_reader(_ResponseSource(response, key), key)

    def exists(self, key: str) -> bool:
        name = _object_name(key)
        with _s3_errors("stat", key):
            return self._object_exists(name)

    def size(self, key: str) -> int:
        name = _object_name(key)
        with _s3_errors("stat", key):
            stat = self._client.stat_object(self._bucket, name)
        if stat.size is None:
            raise StorageError(f"S3 reported no size for blob {key}")
        return stat.size

    def delete(self, key: str) -> None:
        name = _object_name(key)
        with contextlib.suppress(BlobNotFoundError), _s3_errors("delete", key):
            self._client.remove_object(self._bucket, name)

    def iter_keys(self) -> Iterator[str]:
        with _s3_errors("list"):
            try:
                for obj in self._client.list_objects(
                    self._bucket, prefix=BLOB_PREFIX, recursive=True
                ):
                    key = (obj.object_name or "").removeprefix(BLOB_PREFIX)
                    if _is_key(key):
                        yield key
            except S3Error as exc:
                if exc.code != "NoSuchBucket":
                    raise

    def verify(self, key: str) -> BlobInfo:
        with self.open(key) as stream:
            size = drain(stream)
        return BlobInfo(key=key, sha256=key, size=size)

    def check(self) -> None:
        try:
            with _s3_errors("health check"):
                self._probe.bucket_exists(self._bucket)
        except StorageUnavailableError:
            raise
        except StorageError as exc:
            raise StorageUnavailableError(str(exc)) from exc

    def close(self) -> None:
        """Release pooled connections (the store stays usable and reconnects on demand)."""
        self._http.clear()
        self._probe_http.clear()

    def _object_exists(self, name: str) -> bool:
        try:
            self._client.stat_object(self._bucket, name)
        except S3Error as exc:
            if exc.code in _NOT_FOUND:
                return False
            raise
        return True

    def _remove_quietly(self, name: str) -> None:
        try:
            with _s3_errors("delete temporary"):
                self._client.remove_object(self._bucket, name)
        except StorageError as exc:
            logger.warning("could not delete temporary object %s: %s", name, exc)


class _ResponseSource:
    """Feeds a GET response to the verifying reader, translating network errors."""

    def __init__(self, response: urllib3.BaseHTTPResponse, key: str) -> None:
        self._response = response
        self._key = key

    def read(self, size: int, /) -> bytes:
        with _s3_errors("read", self._key):
            return self._response.read(size)

    def close(self) -> None:
        self._response.close()
        self._response.release_conn()


class _TimeoutIsFinalRetry(urllib3.Retry):
    """urllib3's bounded retry, except that a timed-out attempt is not repeated.

    The attempt has already waited the whole timeout; repeating it would multiply the time
    a request thread spends on a hung server. A refused or dropped connection fails fast,
    so retrying it (a restarting server, a stale pooled connection) costs little.
    """

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: urllib3.BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if error is not None and _is_timeout(error):
            # What urllib3 itself does when retries are off: the error, not MaxRetryError.
            raise error.with_traceback(_stacktrace)
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _is_timeout(error: Exception) -> bool:
    if isinstance(error, NewConnectionError):
        # A refusal; it subclasses ConnectTimeoutError only for backwards compatibility.
        return False
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return True
    # A request body the server stopped accepting times out in the socket's send and
    # reaches the retry wrapped as "Connection aborted.".
    return isinstance(error, ProtocolError) and any(isinstance(a, TimeoutError) for a in error.args)


def _pool(
    connect_timeout: float, read_timeout: float, retries: int, ca_file: str | None
) -> urllib3.PoolManager:
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        retries=_TimeoutIsFinalRetry(
            total=retries,
            backoff_factor=0.2,
            backoff_max=2.0,
            status_forcelist=(500, 502, 503, 504),
            # A server answering 503 with a long Retry-After would otherwise hold the
            # request thread that long; failing lets the caller answer 503 at once.
            respect_retry_after_header=False,
        ),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=ca_file,
    )


def _object_name(key: str) -> str:
    return BLOB_PREFIX + validate_key(key)


def _is_key(name: str) -> bool:
    try:
        validate_key(name)
    except ValueError:
        return False
    return True


@contextlib.contextmanager
def _s3_errors(action: str, key: str | None = None) -> Iterator[None]:
    """Translate minio and urllib3 failures into the storage contract's errors."""
    try:
        yield
    except S3Error as exc:
        if key is not None and exc.code in _NOT_FOUND:
            raise BlobNotFoundError(key) from None
        if exc.code in _REFUSED:
            raise StorageUnavailableError(f"S3 refused the {action}: {exc.code}") from exc
        raise StorageError(f"S3 {action} failed: {exc.code}: {exc.message}") from exc
    except (urllib3.exceptions.HTTPError, ServerError, InvalidResponseError) as exc:
        raise StorageUnavailableError(f"S3 unreachable during {action}: {exc}") from exc
