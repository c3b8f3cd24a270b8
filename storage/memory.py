"""In-memory blob store: the fake that service tests use instead of a disk or S3."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import BinaryIO

from storage._streams import HashingReader, drain, verifying_reader
from storage.base import (
    CHUNK_SIZE,
    BlobInfo,
    BlobNotFoundError,
    StorageUnavailableError,
    validate_key,
)

__all__ = ["InMemoryBlobStore"]


class InMemoryBlobStore:
    """Keeps blobs in a dict and honours the whole `BlobStore` contract.

    Besides the contract it offers two levers for tests: `corrupt` changes a stored blob
    behind the store's back, and `unavailable` makes every operation fail as if the
    backend were down.
    """

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.unavailable = False

    def put(self, stream: BinaryIO, *, max_size: int | None = None) -> BlobInfo:
        self._ensure_available()
        reader = HashingReader(stream, max_size)
        buffer = bytearray()
        while chunk := reader.read(CHUNK_SIZE):
            buffer += chunk
        info = reader.info()
        with self._lock:
            self._blobs[info.key] = bytes(buffer)
        return info

    def open(self, key: str) -> BinaryIO:
        data = self._get(key)
        return verifying_reader(io.BytesIO(data), key)

    def exists(self, key: str) -> bool:
        validate_key(key)
        self._ensure_available()
        with self._lock:
            return key in self._blobs

    def size(self, key: str) -> int:
        return len(self._get(key))

    def delete(self, key: str) -> None:
        validate_key(key)
        self._ensure_available()
        with self._lock:
            self._blobs.pop(key, None)

    def iter_keys(self) -> Iterator[str]:
        self._ensure_available()
        with self._lock:
            keys = sorted(self._blobs)
        yield from keys

    def verify(self, key: str) -> BlobInfo:
        with self.open(key) as stream:
            size = drain(stream)
        return BlobInfo(key=key, sha256=key, size=size)

    def check(self) -> None:
        self._ensure_available()

    def corrupt(self, key: str) -> None:
        """Flip the first byte of a stored blob (or give an empty one a byte) for tests."""
        with self._lock:
            data = self._blobs[validate_key(key)]
            self._blobs[key] = bytes([data[0] ^ 0xFF]) + data[1:] if data else b"\x00"

    def _get(self, key: str) -> bytes:
        validate_key(key)
        self._ensure_available()
        with self._lock:
            try:
                return self._blobs[key]
            except KeyError:
                raise BlobNotFoundError(key) from None

    def _ensure_available(self) -> None:
        if self.unavailable:
            raise StorageUnavailableError("in-memory blob store switched to unavailable")
