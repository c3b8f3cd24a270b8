"""Small stream adapters that let a service look at a file's head without buffering the file."""

from __future__ import annotations

import io
from typing import IO


class PrefixedReader(io.RawIOBase):
    """Replays bytes already read (for sniffing), then continues with the underlying stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type is a protocol mypy cannot narrow
        view = memoryview(buffer)
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        chunk = self._rest.read(len(view))
        view[: len(chunk)] = chunk
        return len(chunk)


def read_head(stream: IO[bytes], size: int) -> bytes:
    """Read up to ``size`` bytes even from streams that return short reads."""
    parts = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)
