"""The blob storage contract: the port, its value object, its errors and key validation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

__all__ = [
    "CHUNK_SIZE",
    "BlobCorruptError",
    "BlobInfo",
    "BlobNotFoundError",
    "BlobStore",
    "BlobTooLargeError",
    "InvalidKeyError",
    "StorageError",
    "StorageUnavailableError",
    "validate_key",
]

#: How much of a stream is held in memory at once while hashing, writing or reading.
CHUNK_SIZE = 1024 * 1024

_KEY_RE = re.compile(r"[0-9a-f]{64}")


class StorageError(Exception):
    """Root of every error the storage package raises on purpose."""


class BlobNotFoundError(StorageError):
    """No blob is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"blob {key} not found")
        self.key = key


class BlobCorruptError(StorageError):
    """The stored bytes no longer hash to their key (bit rot, tampering, truncation)."""

    def __init__(self, key: str, actual_sha256: str) -> None:
        super().__init__(f"blob {key} is corrupt: its content hashes to {actual_sha256}")
        self.key = key
        self.actual_sha256 = actual_sha256


class BlobTooLargeError(StorageError):
    """The stream was longer than the caller's limit; nothing was stored."""

    def __init__(self, max_size: int) -> None:
        super().__init__(f"blob exceeds the limit of {max_size} bytes")
        self.max_size = max_size


class StorageUnavailableError(StorageError):
    """The backend cannot be used right now (server down, refused credentials, disk full).

    Callers SHOULD treat this as temporary (HTTP 503, retry the job later): the request
    itself was fine.
    """


class InvalidKeyError(StorageError, ValueError):
    """A key that is not 64 lowercase hex characters, rejected before any I/O."""

    def __init__(self, key: object) -> None:
        super().__init__(f"invalid blob key {key!r}: expected 64 lowercase hex characters")
        self.key = key


def validate_key(key: str) -> str:
    """Return ``key`` if it is a SHA-256 hex digest; raise `InvalidKeyError` otherwise.

    Adapters call this before building a path or object name from a key, so that a key can
    never name anything outside the store (``../``, separators, NUL).
    """
    if not isinstance(key, str) or _KEY_RE.fullmatch(key) is None:
        raise InvalidKeyError(key)
    return key


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """What the store knows about one blob."""

    key: str
    """Content address: the lowercase hex SHA-256 of the bytes."""
    sha256: str
    """The same value as `key`, explicit for callers that record the checksum."""
    size: int
    """Length in bytes."""


class BlobStore(Protocol):
    """Content-addressed, write-once storage of opaque byte streams.

    Every method that takes a key MUST raise `InvalidKeyError` for a malformed key before
    touching disk or network, and `StorageUnavailableError` when the backend cannot be
    reached. Implementations MUST be safe to share between threads.
    """

    def put(self, stream: BinaryIO, *, max_size: int | None = None) -> BlobInfo:
        """Store the bytes read from ``stream`` and return their content address.

        The stream MUST be read in bounded chunks and hashed while it passes. Storing the
        same content twice MUST be idempotent (same key, one blob). When the stream is
        longer than ``max_size`` it MUST raise `BlobTooLargeError` and leave nothing
        behind. Any failure, including one raised by ``stream`` itself (which MUST
        propagate unchanged), MUST leave no partial blob visible under the final key.
        Empty content is allowed here; rejecting it is the caller's policy.
        """
        ...

    def open(self, key: str) -> BinaryIO:
        """Return a stream of the blob's bytes; raise `BlobNotFoundError` if absent.

        The stream MUST re-hash what it delivers and raise `BlobCorruptError` when the
        reader reaches the end and the content does not match the key. A reader that stops
        early gets no verdict. The caller closes the stream.
        """
        ...

    def exists(self, key: str) -> bool:
        """Return whether a blob is stored under ``key`` (without verifying it)."""
        ...

    def size(self, key: str) -> int:
        """Return the stored length of the blob; raise `BlobNotFoundError` if absent."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing key MUST NOT be an error."""
        ...

    def iter_keys(self) -> Iterator[str]:
        """Yield the key of every stored blob exactly once, never in-flight temporaries."""
        ...

    def verify(self, key: str) -> BlobInfo:
        """Re-hash the whole blob; raise `BlobCorruptError` or `BlobNotFoundError`."""
        ...

    def check(self) -> None:
        """Cheaply probe the backend (for ``/readyz``); raise `StorageUnavailableError`."""
        ...
