"""The whole-store audit behind ``ecase storage verify``."""

from __future__ import annotations

import hashlib
import io

import pytest

from storage import StorageUnavailableError, VerifyReport, verify_store
from storage.memory import InMemoryBlobStore


def key_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def store() -> InMemoryBlobStore:
    return InMemoryBlobStore()


def put(store: InMemoryBlobStore, content: bytes) -> str:
    return store.put(io.BytesIO(content)).key


def test_healthy_store_gives_a_clean_report(store: InMemoryBlobStore) -> None:
    keys = [put(store, b"one"), put(store, b"two")]

    report = verify_store(store, keys)

    assert report == VerifyReport(checked=2)
    assert report.ok


def test_report_sorts_findings_into_missing_corrupt_and_orphaned(
    store: InMemoryBlobStore,
) -> None:
    good = put(store, b"good")
    rotten = put(store, b"rotten")
    orphan = put(store, b"orphan")
    store.corrupt(rotten)
    missing = key_of(b"never stored")

    report = verify_store(store, [good, rotten, missing])

    assert report.checked == 2
    assert report.missing == (missing,)
    assert report.corrupt == (rotten,)
    assert report.orphaned == (orphan,)
    assert not report.ok


def test_orphans_alone_do_not_fail_the_report(store: InMemoryBlobStore) -> None:
    put(store, b"left behind by a rolled-back upload")

    report = verify_store(store, [])

    assert len(report.orphaned) == 1
    assert report.ok


def test_malformed_expected_keys_are_reported_not_raised(store: InMemoryBlobStore) -> None:
    report = verify_store(store, ["../etc/passwd", "ABC"])

    assert report.invalid == ("../etc/passwd", "ABC")
    assert report.checked == 0
    assert not report.ok


def test_duplicate_expected_keys_are_checked_once(store: InMemoryBlobStore) -> None:
    key = put(store, b"shared by two documents")

    report = verify_store(store, [key, key])

    assert report.checked == 1


def test_progress_is_reported_after_each_expected_key(store: InMemoryBlobStore) -> None:
    keys = [put(store, b"a"), put(store, b"b"), key_of(b"missing")]
    calls: list[tuple[int, int | None]] = []

    verify_store(store, iter(keys), progress=lambda done, total: calls.append((done, total)))

    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_unreachable_store_aborts_the_audit(store: InMemoryBlobStore) -> None:
    key = put(store, b"data")
    store.unavailable = True

    with pytest.raises(StorageUnavailableError):
        verify_store(store, [key])
