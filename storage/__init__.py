"""Content-addressed blob storage: the port the application depends on, and its checks.

Concrete adapters live in their own modules (`storage.filesystem`, `storage.s3`,
`storage.memory`) and are chosen by `storage.url.open_blob_store` in the composition root.
"""

from storage.base import (
    CHUNK_SIZE,
    BlobCorruptError,
    BlobInfo,
    BlobNotFoundError,
    BlobStore,
    BlobTooLargeError,
    InvalidKeyError,
    StorageError,
    StorageUnavailableError,
    validate_key,
)
from storage.verify import ProgressCallback, VerifyReport, verify_store

__all__ = [
    "CHUNK_SIZE",
    "BlobCorruptError",
    "BlobInfo",
    "BlobNotFoundError",
    "BlobStore",
    "BlobTooLargeError",
    "InvalidKeyError",
    "ProgressCallback",
    "StorageError",
    "StorageUnavailableError",
    "VerifyReport",
    "validate_key",
    "verify_store",
]
