"""Blob storage in a local directory tree: the embedded default, crash-safe by construction."""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from storage._streams import HashingReader, drain, verifying_reader
from storage.base import (
    CHUNK_SIZE,
    BlobInfo,
    BlobNotFoundError,
    StorageUnavailableError,
    validate_key,
)

__all__ = ["FilesystemBlobStore"]

logger = logging.getLogger(__name__)

_HEX_PAIRS = frozenset(f"{i:02x}" for i in range(256))
_TMP_DIR = "tmp"
_BLOB_MODE = 0o444


class FilesystemBlobStore:
    """Stores each blob as a read-only file at ``root/ab/cd/abcd…`` (two fan-out levels).

    Writes go to a temporary file under ``root/tmp/`` that is fsynced and then renamed
    into place, so a blob either appears complete under its key or not at all, even
    across a power cut. Directories are created lazily; constructing the store does no
    I/O. Errors of the underlying filesystem surface as `StorageUnavailableError`,
    since from the caller's point of view the disk is the service that failed.
    """

    def __init__(self, root: Path) -> None:
        self._root = Path(root)
        self._tmp = self._root / _TMP_DIR

    @property
    def root(self) -> Path:
        return self._root

    def path_for(self, key: str) -> Path:
        """The file a blob lives in (for operations tooling; not a way to write)."""
        validate_key(key)
        return self._root / key[:2] / key[2:4] / key

    def put(self, stream: BinaryIO, *, max_size: int | None = None) -> BlobInfo:
        reader = HashingReader(stream, max_size)
        with _unavailable_on_oserror("write"):
            self._tmp.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb", buffering=0) as out:
                while chunk := reader.read(CHUNK_SIZE):
                    with _unavailable_on_oserror("write"):
                        _write_all(out, chunk)
                with _unavailable_on_oserror("write"):
                    os.fchmod(out.fileno(), _BLOB_MODE)
                    os.fsync(out.fileno())
            info = reader.info()
            final = self.path_for(info.key)
            with _unavailable_on_oserror("write"):
                _make_dirs_durably(final.parent, stop_at=self._root)
                # Replacing an existing copy is harmless (same bytes) and repairs one that
                # has rotted since it was written.
                os.replace(tmp_path, final)
                _fsync_dir(final.parent)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp_path.unlink()
            raise
        return info

    def open(self, key: str) -> BinaryIO:
        path = self.path_for(key)
        try:
            source = path.open("rb", buffering=0)
        except FileNotFoundError:
            raise BlobNotFoundError(key) from None
        except OSError as exc:
            raise StorageUnavailableError(f"cannot read blob {key}: {exc}") from exc
        return verifying_reader(source, key)

    def exists(self, key: str) -> bool:
        path = self.path_for(key)
        with _unavailable_on_oserror("stat"):
            return path.is_file()

    def size(self, key: str) -> int:
        path = self.path_for(key)
        try:
            return path.stat().st_size
        except FileNotFoundError:
            raise BlobNotFoundError(key) from None
        except OSError as exc:
            raise StorageUnavailableError(f"cannot stat blob {key}: {exc}") from exc

    def delete(self, key: str) -> None:
        path = self.path_for(key)
        with _unavailable_on_oserror("delete"):
            path.unlink(missing_ok=True)

    def iter_keys(self) -> Iterator[str]:
        with _unavailable_on_oserror("list"):
            yield from self._iter_keys()

    def _iter_keys(self) -> Iterator[str]:
        for level1 in _sorted_subdirs(self._root):
            for level2 in _sorted_subdirs(level1):
                prefix = level1.name + level2.name
                with os.scandir(level2) as entries:
                    names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
                for name in names:
                    if name.startswith(prefix) and _is_key(name):
                        yield name

    def verify(self, key: str) -> BlobInfo:
        with self.open(key) as stream:
            size = drain(stream)
        return BlobInfo(key=key, sha256=key, size=size)

    def check(self) -> None:
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailableError(f"blob directory {self._root} unusable: {exc}") from exc
        if not os.access(self._tmp, os.W_OK | os.X_OK):
            raise StorageUnavailableError(f"blob directory {self._root} is not writable")


def _write_all(out: io.FileIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = out.write(view)
        view = view[written:]


def _sorted_subdirs(path: Path) -> list[Path]:
    try:
        with os.scandir(path) as entries:
            return sorted(
                Path(e.path)
                for e in entries
                if e.name in _HEX_PAIRS and e.is_dir(follow_symlinks=False)
            )
    except FileNotFoundError:
        return []


def _is_key(name: str) -> bool:
    try:
        validate_key(name)
    except ValueError:
        return False
    return True


def _make_dirs_durably(path: Path, *, stop_at: Path) -> None:
    """Create ``path`` and fsync each parent that gained an entry, so the blob survives."""
    if path.is_dir():
        return
    if path != stop_at:
        _make_dirs_durably(path.parent, stop_at=stop_at)
    try:
        path.mkdir()
    except FileExistsError:
        return
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some filesystems (and Windows) cannot fsync a directory; the rename is still
        # atomic there, only its durability is up to the OS.
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def _unavailable_on_oserror(action: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        logger.warning("blob store %s failed: %s", action, exc)
        raise StorageUnavailableError(f"blob store {action} failed: {exc}") from exc
