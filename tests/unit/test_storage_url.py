"""Parsing ``ECASE_STORAGE_URL`` into the right blob store with the right settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage import StorageError
from storage.filesystem import FilesystemBlobStore
from storage.memory import InMemoryBlobStore
from storage.s3 import DEFAULT_CONNECT_TIMEOUT, DEFAULT_PART_SIZE, DEFAULT_READ_TIMEOUT
from storage.url import InvalidStorageUrlError, open_blob_store

KEYS = {"access_key": "AKIAEXAMPLE", "secret_key": "s3cr3t"}


@pytest.fixture
def s3_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record what `S3BlobStore` would be built with, without building it."""
    calls: list[dict[str, Any]] = []

    def fake(**kwargs: Any) -> object:
        calls.append(kwargs)
        return object()

    monkeypatch.setattr("storage.url.S3BlobStore", fake)
    return calls


def test_absolute_file_url_names_the_directory() -> None:
    store = open_blob_store("file:///var/lib/ecase/blobs", access_key=None, secret_key=None)

    assert isinstance(store, FilesystemBlobStore)
    assert store.root == Path("/var/lib/ecase/blobs")


def test_relative_file_url_is_relative_to_the_working_directory() -> None:
    store = open_blob_store("file://var/blobs", access_key=None, secret_key=None)

    assert isinstance(store, FilesystemBlobStore)
    assert store.root == Path("var/blobs")


def test_file_url_is_percent_decoded() -> None:
    store = open_blob_store("file:///srv/e%20akte", access_key=None, secret_key=None)

    assert isinstance(store, FilesystemBlobStore)
    assert store.root == Path("/srv/e akte")


def test_memory_url_gives_the_in_memory_store() -> None:
    store = open_blob_store("memory://", access_key=None, secret_key=None)

    assert isinstance(store, InMemoryBlobStore)


def test_s3_url_passes_bucket_endpoint_and_options(s3_calls: list[dict[str, Any]]) -> None:
    open_blob_store(
        "s3://akten?endpoint=minio.local:9000&secure=0&region=eu-central-1&part_size=8388608",
        **KEYS,
    )

    assert s3_calls == [
        {
            "endpoint": "minio.local:9000",
            "access_key": "AKIAEXAMPLE",
            "secret_key": "s3cr3t",
            "bucket": "akten",
            "secure": False,
            "region": "eu-central-1",
            "part_size": 8 * 1024 * 1024,
            "connect_timeout": DEFAULT_CONNECT_TIMEOUT,
            "read_timeout": DEFAULT_READ_TIMEOUT,
        }
    ]


def test_s3_url_defaults_to_tls(s3_calls: list[dict[str, Any]]) -> None:
    open_blob_store("s3://akten?endpoint=minio.local:9000", **KEYS)

    assert s3_calls[0]["secure"] is True
    assert s3_calls[0]["region"] is None
    assert s3_calls[0]["part_size"] == DEFAULT_PART_SIZE


def test_s3_url_without_timeouts_gets_bounded_defaults(s3_calls: list[dict[str, Any]]) -> None:
    open_blob_store("s3://akten?endpoint=minio.local:9000", **KEYS)

    assert (s3_calls[0]["connect_timeout"], s3_calls[0]["read_timeout"]) == (5.0, 30.0)


@pytest.mark.parametrize(
    ("query", "connect", "read"),
    [
        ("timeout=10", 10.0, 10.0),
        ("timeout=0.5", 0.5, 0.5),
        ("connect_timeout=2&read_timeout=120", 2.0, 120.0),
        ("timeout=10&read_timeout=60", 10.0, 60.0),
        ("connect_timeout=1", 1.0, DEFAULT_READ_TIMEOUT),
    ],
)
def test_s3_url_sets_timeouts_in_seconds(
    s3_calls: list[dict[str, Any]], query: str, connect: float, read: float
) -> None:
    open_blob_store(f"s3://akten?endpoint=minio.local:9000&{query}", **KEYS)

    assert (s3_calls[0]["connect_timeout"], s3_calls[0]["read_timeout"]) == (connect, read)


def test_s3_url_builds_a_real_store_without_network() -> None:
    store = open_blob_store("s3://akten?endpoint=127.0.0.1:1&secure=0", **KEYS)

    assert store.__class__.__name__ == "S3BlobStore"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "unsupported storage URL"),
        ("ftp://host/blobs", "unsupported storage URL"),
        ("/var/blobs", "unsupported storage URL"),
        ("file://", "names no directory"),
        ("file:///var/blobs?x=1", "no query"),
        ("memory://something", "no arguments"),
        ("s3://?endpoint=h:9000", "names no bucket"),
        ("s3://akten", "needs endpoint"),
        ("s3://akten?endpoint=", "needs endpoint"),
        ("s3://akten/sub/dir?endpoint=h:9000", "only a bucket"),
        ("s3://akten?endpoint=http://h:9000", "without scheme"),
        ("s3://akten?endpoint=h:9000&secure=maybe", "must be 0 or 1"),
        ("s3://akten?endpoint=h:9000&part_size=big", "whole number"),
        ("s3://akten?endpoint=h:9000&part_size=1024", "part_size must be between"),
        ("s3://akten?endpoint=h:9000&bucket=other", "unknown S3 storage URL parameter"),
        ("s3://akten?endpoint=h:9000&timeout=soon", "timeout must be a positive number"),
        ("s3://akten?endpoint=h:9000&timeout=0", "timeout must be a positive number"),
        ("s3://akten?endpoint=h:9000&read_timeout=-1", "read_timeout must be a positive"),
        ("s3://akten?endpoint=h:9000&connect_timeout=inf", "connect_timeout must be a posi"),
        ("s3://akten?endpoint=h:9000&timeout=nan", "timeout must be a positive number"),
        ("s3://akten?endpoint=h:9000&endpoint=h:9001", "repeats parameter"),
        ("s3://Bad_Bucket?endpoint=h:9000", "invalid S3 storage URL"),
    ],
)
def test_malformed_url_is_rejected_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(InvalidStorageUrlError, match=message) as excinfo:
        open_blob_store(url, **KEYS)

    assert isinstance(excinfo.value, StorageError)
    assert isinstance(excinfo.value, ValueError)


def test_credentials_in_the_url_are_rejected_without_echoing_them() -> None:
    with pytest.raises(InvalidStorageUrlError, match="credentials do not belong") as excinfo:
        open_blob_store("s3://user:hunter2@akten?endpoint=h:9000", **KEYS)

    assert "hunter2" not in str(excinfo.value)


@pytest.mark.parametrize(
    "keys",
    [
        {"access_key": None, "secret_key": None},
        {"access_key": "AKIAEXAMPLE", "secret_key": None},
        {"access_key": "", "secret_key": "s3cr3t"},
    ],
)
def test_s3_without_both_keys_is_rejected(keys: dict[str, str | None]) -> None:
    with pytest.raises(InvalidStorageUrlError, match="ECASE_S3_ACCESS_KEY"):
        open_blob_store("s3://akten?endpoint=h:9000", **keys)
