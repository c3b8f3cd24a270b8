"""Whole-store audit: compare what the database expects with what the store holds and proves."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from storage.base import (
    BlobCorruptError,
    BlobNotFoundError,
    BlobStore,
    InvalidKeyError,
    validate_key,
)

__all__ = ["ProgressCallback", "VerifyReport", "verify_store"]

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]
"""Called as ``progress(done, total)`` after each expected key; ``total`` may be unknown."""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The findings of `verify_store`, each list sorted."""

    checked: int
    """How many expected blobs were re-hashed in full."""
    missing: tuple[str, ...] = ()
    """Expected but absent."""
    corrupt: tuple[str, ...] = ()
    """Present but their bytes no longer hash to their key."""
    orphaned: tuple[str, ...] = ()
    """Present but not expected (left behind by a crash or a deleted record)."""
    invalid: tuple[str, ...] = ()
    """Expected keys that are not content addresses at all: a fault in the caller's records."""

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt or self.invalid)


def verify_store(
    store: BlobStore,
    expected_keys: Iterable[str],
    *,
    progress: ProgressCallback | None = None,
) -> VerifyReport:
    """Re-hash every expected blob and list what is missing, corrupt or orphaned.

    Orphans do not make the report fail (`VerifyReport.ok`): an upload whose database
    transaction rolled back leaves one behind, and it harms nothing. `StorageUnavailableError`
    is not caught: a store that cannot be reached cannot be judged.
    """
    expected: set[str] = set()
    invalid: set[str] = set()
    for key in expected_keys:
        try:
            expected.add(validate_key(key))
        except InvalidKeyError:
            invalid.add(key)
    present = set(store.iter_keys())

    missing: list[str] = []
    corrupt: list[str] = []
    checked = 0
    total = len(expected)
    for done, key in enumerate(sorted(expected), start=1):
        if key not in present:
            missing.append(key)
        else:
            try:
                store.verify(key)
            except BlobNotFoundError:
                missing.append(key)
            except BlobCorruptError:
                logger.warning("blob %s is corrupt", key)
                corrupt.append(key)
            checked += 1
        if progress is not None:
            progress(done, total)

    return VerifyReport(
        checked=checked,
        missing=tuple(missing),
        corrupt=tuple(corrupt),
        orphaned=tuple(sorted(present - expected)),
        invalid=tuple(sorted(invalid)),
    )
