"""Filesystem blob store specifics: on-disk layout, permissions, temp-file hygiene."""

from __future__ import annotations

import hashlib
import io
import stat
from pathlib import Path
from typing import BinaryIO, cast

import pytest

from storage import CHUNK_SIZE, StorageUnavailableError
from storage.filesystem import FilesystemBlobStore


class BrokenStream(io.RawIOBase):
    """Delivers ``good`` bytes in chunks, then fails like a dropped client connection."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self._left = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            raise ConnectionResetError("upload interrupted")
        count = min(self._left, CHUNK_SIZE if size < 0 else size)
        self._left -= count
        return b"x" * count


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture
def store(root: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(root)


def test_constructing_the_store_touches_nothing(root: Path) -> None:
    FilesystemBlobStore(root)

    assert not root.exists()


def test_blob_lands_in_a_two_level_fan_out(store: FilesystemBlobStore, root: Path) -> None:
    content = b"Antrag auf Aufenthaltserlaubnis"
    key = hashlib.sha256(content).hexdigest()

    store.put(io.BytesIO(content))

    path = root / key[:2] / key[2:4] / key
    assert path.read_bytes() == content
    assert store.path_for(key) == path


def test_blob_file_is_read_only(store: FilesystemBlobStore) -> None:
    key = store.put(io.BytesIO(b"immutable")).key

    mode = stat.S_IMODE(store.path_for(key).stat().st_mode)

    assert mode == 0o444


def test_stream_failing_midway_leaves_no_temp_file(store: FilesystemBlobStore, root: Path) -> None:
    with pytest.raises(ConnectionResetError, match="upload interrupted"):
        store.put(cast(BinaryIO, BrokenStream(good=3 * CHUNK_SIZE + 5)))

    assert list((root / "tmp").iterdir()) == []
    assert list(store.iter_keys()) == []


def test_putting_content_again_repairs_a_corrupted_copy(store: FilesystemBlobStore) -> None:
    content = b"original"
    key = store.put(io.BytesIO(content)).key
    path = store.path_for(key)
    path.chmod(0o644)
    path.write_bytes(b"rotten")

    store.put(io.BytesIO(content))

    assert store.verify(key).size == len(content)


def test_iter_keys_ignores_temp_files_and_strangers(store: FilesystemBlobStore, root: Path) -> None:
    key = store.put(io.BytesIO(b"real")).key
    other = hashlib.sha256(b"misplaced").hexdigest()
    (root / "tmp" / other).write_bytes(b"in flight")
    (root / "README").write_text("not a blob")
    (root / key[:2] / key[2:4] / "notes.txt").write_text("not a blob")
    misplaced = root / "00" / "00"
    misplaced.mkdir(parents=True)
    (misplaced / other).write_bytes(b"misplaced")  # wrong fan-out for its name
    (root / key[:2] / key[2:4] / key.upper()).write_bytes(b"shouting")

    assert list(store.iter_keys()) == [key]


def test_iter_keys_on_a_missing_root_is_empty(store: FilesystemBlobStore) -> None:
    assert list(store.iter_keys()) == []


def test_unusable_root_makes_check_and_put_unavailable(tmp_path: Path) -> None:
    root = tmp_path / "a-file"
    root.write_text("a file where the directory should be")
    store = FilesystemBlobStore(root)

    with pytest.raises(StorageUnavailableError):
        store.check()
    with pytest.raises(StorageUnavailableError):
        store.put(io.BytesIO(b"data"))


def test_check_creates_the_directories(store: FilesystemBlobStore, root: Path) -> None:
    store.check()

    assert (root / "tmp").is_dir()


def test_open_does_not_follow_a_traversal_key(store: FilesystemBlobStore, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("outside the store")

    with pytest.raises(ValueError, match="invalid blob key"):
        store.open("../secret")
