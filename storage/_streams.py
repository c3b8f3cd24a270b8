"""Stream wrappers shared by the adapters: hash while writing, verify while reading."""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING, BinaryIO, Protocol

from storage.base import CHUNK_SIZE, BlobCorruptError, BlobInfo, BlobTooLargeError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class HashingReader:
    """Reads a caller's stream in bounded chunks, hashing, counting and capping as it goes.

    ``read(n)`` returns exactly ``n`` bytes unless the source ends, so a consumer that
    wants a multipart part gets it in one piece while the source is still only asked for
    `CHUNK_SIZE` at a time. Errors raised by the source propagate unchanged.
    """

    def __init__(self, source: BinaryIO, max_size: int | None = None) -> None:
        if max_size is not None and max_size < 0:
            raise ValueError("max_size must not be negative")
        self._source = source
        self._max_size = max_size
        self._hash = hashlib.sha256()
        self._size = 0
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        got = 0
        while not self._eof and (size < 0 or got < size):
            want = CHUNK_SIZE if size < 0 else min(CHUNK_SIZE, size - got)
            chunk = self._source.read(want)
            if not chunk:
                self._eof = True
                break
            self._size += len(chunk)
            if self._max_size is not None and self._size > self._max_size:
                raise BlobTooLargeError(self._max_size)
            self._hash.update(chunk)
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    @property
    def eof(self) -> bool:
        return self._eof

    def info(self) -> BlobInfo:
        """The content address of everything read; only meaningful once at the end."""
        if not self._eof:
            raise RuntimeError("the stream has not been read to its end")
        digest = self._hash.hexdigest()
        return BlobInfo(key=digest, sha256=digest, size=self._size)


class PrefixedReader:
    """Replays bytes already taken from a `HashingReader` before continuing with it."""

    def __init__(self, prefix: bytes, rest: HashingReader) -> None:
        self._prefix = memoryview(prefix)
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if not self._prefix:
            return self._rest.read(size)
        if size < 0:
            head, self._prefix = bytes(self._prefix), memoryview(b"")
            return head + self._rest.read()
        head = bytes(self._prefix[:size])
        self._prefix = self._prefix[size:]
        if len(head) < size:
            head += self._rest.read(size - len(head))
        return head


class ChunkSource(Protocol):
    """The minimum a backend's byte stream has to offer to be verified."""

    def read(self, size: int, /) -> bytes: ...

    def close(self) -> None: ...


class _VerifyingRaw(io.RawIOBase):
    """Hashes the bytes it hands out and passes judgement when the source ends."""

    def __init__(self, source: ChunkSource, key: str) -> None:
        super().__init__()
        self._source = source
        self._key = key
        self._hash = hashlib.sha256()
        self._ended = False
        self._error: BlobCorruptError | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        if self._ended:
            # Keep failing: a caller that swallowed the error must not read a clean EOF.
            if self._error is not None:
                raise self._error
            return 0
        with memoryview(buffer) as view:
            data = self._source.read(view.nbytes)
            if not data:
                self._ended = True
                digest = self._hash.hexdigest()
                if digest != self._key:
                    self._error = BlobCorruptError(self._key, digest)
                    raise self._error
                return 0
            self._hash.update(data)
            view[: len(data)] = data
            return len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                self._source.close()
            finally:
                super().close()


def verifying_reader(source: ChunkSource, key: str) -> BinaryIO:
    """Wrap ``source`` so that reading it to the end proves it still matches ``key``."""
    return io.BufferedReader(_VerifyingRaw(source, key), buffer_size=CHUNK_SIZE)


def drain(stream: BinaryIO) -> int:
    """Read ``stream`` to its end in chunks and return how many bytes it had."""
    total = 0
    while chunk := stream.read(CHUNK_SIZE):
        total += len(chunk)
    return total
