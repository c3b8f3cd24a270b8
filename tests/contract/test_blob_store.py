"""One contract suite for every BlobStore: in-memory fake, filesystem and S3 (moto server)."""

from __future__ import annotations

import hashlib
import io
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from storage import (
    CHUNK_SIZE,
    BlobCorruptError,
    BlobNotFoundError,
    BlobStore,
    BlobTooLargeError,
    InvalidKeyError,
    StorageUnavailableError,
)
from storage.filesystem import FilesystemBlobStore
from storage.memory import InMemoryBlobStore
from storage.s3 import S3BlobStore
from storage.url import open_blob_store
from tests.support.s3 import S3Server, run_moto_s3
from tests.support.stalling import StallingServer, run_stalling_server

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MiB = 1024 * 1024
PART_SIZE = 16 * MiB
INVALID_KEYS = [
    "../etc/passwd",
    "../" + "a" * 61,
    "A" * 64,
    "a" * 63,
    "a" * 65,
    "",
    "g" * 64,
    "a" * 64 + "\n",
    "a" * 32 + "/" + "a" * 31,
]


class PatternStream(io.RawIOBase):
    """Deterministic pseudo-random bytes made on demand, so large content is never whole.

    Records the largest read it was asked for, to prove that stores read in chunks.
    """

    _BLOCK = 64 * 1024

    def __init__(self, size: int, *, seed: int = 0, fail_after: int | None = None) -> None:
        super().__init__()
        self._remaining = size
        self._seed = seed
        self._block_no = 0
        self._pending = b""
        self._produced = 0
        self._fail_after = fail_after
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        self.largest_read = max(self.largest_read, view.nbytes)
        if self._fail_after is not None and self._produced >= self._fail_after:
            raise ConnectionResetError("the client went away")
        if not self._pending and self._remaining:
            block = hashlib.shake_256(f"{self._seed}:{self._block_no}".encode()).digest(
                min(self._BLOCK, self._remaining)
            )
            self._block_no += 1
            self._remaining -= len(block)
            self._pending = block
        count = min(view.nbytes, len(self._pending))
        view[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        self._produced += count
        return count

    def as_binary(self) -> BinaryIO:
        return cast(BinaryIO, self)


def sha256_of_pattern(size: int, *, seed: int = 0) -> str:
    digest = hashlib.sha256()
    stream = PatternStream(size, seed=seed)
    while chunk := stream.read(MiB):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_of_stream(stream: BinaryIO, *, piece: int = MiB) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(piece):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


@dataclass
class Backend:
    """A store under test plus the back doors the contract tests need."""

    store: BlobStore
    corrupt: Callable[[str], None]
    leftovers: Callable[[], list[str]]
    """Temporary files, objects or unfinished multipart uploads still around."""


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with run_moto_s3() as server:
        yield server


@pytest.fixture(scope="session")
def s3_admin(s3_server: S3Server) -> Any:  # boto3 clients are generated at run time
    """A boto3 client that reaches behind the store's back (corruption, leftovers)."""
    return boto3.client(
        "s3",
        endpoint_url=s3_server.url,
        region_name=s3_server.region,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def make_s3_store(
    server: S3Server,
    bucket: str,
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
) -> S3BlobStore:
    return S3BlobStore(
        server.endpoint,
        access_key or server.access_key,
        secret_key or server.secret_key,
        bucket,
        secure=False,
        region=server.region,
        part_size=PART_SIZE,
    )


def _memory_backend() -> Backend:
    store = InMemoryBlobStore()
    return Backend(store=store, corrupt=store.corrupt, leftovers=list)


def _filesystem_backend(root: Path) -> Backend:
    store = FilesystemBlobStore(root)

    def corrupt(key: str) -> None:
        path = store.path_for(key)
        path.chmod(0o644)
        data = path.read_bytes()
        path.write_bytes(bytes([data[0] ^ 0xFF]) + data[1:] if data else b"\x00")

    def leftovers() -> list[str]:
        tmp = root / "tmp"
        return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []

    return Backend(store=store, corrupt=corrupt, leftovers=leftovers)


def _s3_backend(server: S3Server, client: Any) -> Iterator[Backend]:
    bucket = f"contract-{uuid.uuid4().hex[:16]}"
    store = make_s3_store(server, bucket)

    def corrupt(key: str) -> None:
        name = f"blobs/{key}"
        data = client.get_object(Bucket=bucket, Key=name)["Body"].read()
        changed = bytes([data[0] ^ 0xFF]) + data[1:] if data else b"\x00"
        client.put_object(Bucket=bucket, Key=name, Body=changed)

    def leftovers() -> list[str]:
        try:
            objects = client.list_objects_v2(Bucket=bucket, Prefix="tmp/").get("Contents", [])
            uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "NoSuchBucket":
                return []
            raise
        return sorted([o["Key"] for o in objects] + [f"upload:{u['Key']}" for u in uploads])

    yield Backend(store=store, corrupt=corrupt, leftovers=leftovers)

    # Free the server's memory: large-content tests store tens of MiB per bucket.
    try:
        for obj in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            client.delete_object(Bucket=bucket, Key=obj["Key"])
        client.delete_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchBucket":
            raise
    store.close()


@pytest.fixture(params=["memory", "filesystem", pytest.param("s3", marks=pytest.mark.s3)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        yield _memory_backend()
    elif request.param == "filesystem":
        yield _filesystem_backend(tmp_path / "blobs")
    else:
        yield from _s3_backend(
            request.getfixturevalue("s3_server"), request.getfixturevalue("s3_admin")
        )


@pytest.fixture
def store(backend: Backend) -> BlobStore:
    return backend.store


# --- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"hello, Ausl\xc3\xa4nderbeh\xc3\xb6rde", b"", bytes(range(256)) * 4096],
    ids=["small", "empty", "one-mib"],
)
def test_put_returns_the_sha256_and_open_returns_the_same_bytes(
    store: BlobStore, content: bytes
) -> None:
    info = store.put(io.BytesIO(content))

    expected = hashlib.sha256(content).hexdigest()
    assert (info.key, info.sha256, info.size) == (expected, expected, len(content))
    with store.open(info.key) as stream:
        assert stream.read() == content
    assert store.exists(info.key)
    assert store.size(info.key) == len(content)
    assert store.verify(info.key) == info


def test_large_content_is_streamed_in_chunks_and_round_trips(backend: Backend) -> None:
    size = 40 * MiB + 123  # more than two S3 parts, and not a multiple of anything
    source = PatternStream(size, seed=1)

    info = backend.store.put(source.as_binary())

    assert info.key == sha256_of_pattern(size, seed=1)
    assert info.size == size
    assert source.largest_read <= CHUNK_SIZE
    with backend.store.open(info.key) as stream:
        assert sha256_of_stream(stream) == (info.key, size)
    assert backend.store.size(info.key) == size
    assert backend.leftovers() == []


@pytest.mark.parametrize("size", [10, PART_SIZE + 1], ids=["one-part", "two-parts"])
def test_putting_identical_content_twice_keeps_one_blob(backend: Backend, size: int) -> None:
    first = backend.store.put(PatternStream(size).as_binary())
    second = backend.store.put(PatternStream(size).as_binary())

    assert first == second
    assert list(backend.store.iter_keys()) == [first.key]
    assert backend.leftovers() == []


# --- limits and failures leave nothing -----------------------------------------------------


@pytest.mark.parametrize(
    ("size", "max_size"),
    [(10, 9), (20 * MiB, 17 * MiB)],
    ids=["one-part", "multipart"],
)
def test_oversized_put_raises_and_leaves_nothing(
    backend: Backend, size: int, max_size: int
) -> None:
    with pytest.raises(BlobTooLargeError) as excinfo:
        backend.store.put(PatternStream(size).as_binary(), max_size=max_size)

    assert excinfo.value.max_size == max_size
    assert list(backend.store.iter_keys()) == []
    assert backend.leftovers() == []


def test_content_of_exactly_max_size_is_accepted(store: BlobStore) -> None:
    info = store.put(io.BytesIO(b"x" * 10), max_size=10)

    assert info.size == 10


@pytest.mark.parametrize("fail_after", [CHUNK_SIZE, 17 * MiB], ids=["one-part", "multipart"])
def test_failing_source_stream_propagates_and_leaves_nothing(
    backend: Backend, fail_after: int
) -> None:
    source = PatternStream(30 * MiB, fail_after=fail_after)

    with pytest.raises(ConnectionResetError, match="the client went away"):
        backend.store.put(source.as_binary())

    assert list(backend.store.iter_keys()) == []
    assert backend.leftovers() == []


# --- corruption --------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"original bytes", b""], ids=["non-empty", "empty"])
def test_corrupt_blob_is_detected_when_read_to_the_end(backend: Backend, content: bytes) -> None:
    key = backend.store.put(io.BytesIO(content)).key
    backend.corrupt(key)

    with backend.store.open(key) as stream, pytest.raises(BlobCorruptError) as excinfo:
        stream.read()
    assert excinfo.value.key == key


def test_corrupt_blob_is_detected_by_verify(backend: Backend) -> None:
    key = backend.store.put(io.BytesIO(b"original bytes")).key
    backend.corrupt(key)

    with pytest.raises(BlobCorruptError):
        backend.store.verify(key)


def test_corrupt_large_blob_is_detected_while_streaming(backend: Backend) -> None:
    key = backend.store.put(PatternStream(3 * MiB).as_binary()).key
    backend.corrupt(key)

    with backend.store.open(key) as stream, pytest.raises(BlobCorruptError):
        sha256_of_stream(stream, piece=64 * 1024)


def test_reader_closed_before_the_end_raises_nothing(store: BlobStore) -> None:
    key = store.put(io.BytesIO(b"0123456789")).key

    with store.open(key) as stream:
        assert stream.read(4) == b"0123"


# --- missing and invalid keys ------------------------------------------------------------

MISSING_KEY = hashlib.sha256(b"never stored").hexdigest()


@pytest.mark.parametrize("operation", ["open", "size", "verify"])
def test_missing_key_raises_not_found(store: BlobStore, operation: str) -> None:
    with pytest.raises(BlobNotFoundError) as excinfo:
        getattr(store, operation)(MISSING_KEY)

    assert excinfo.value.key == MISSING_KEY


def test_missing_key_does_not_exist(store: BlobStore) -> None:
    assert store.exists(MISSING_KEY) is False


@pytest.mark.parametrize("operation", ["open", "exists", "size", "delete", "verify"])
@pytest.mark.parametrize("key", INVALID_KEYS)
def test_invalid_key_is_rejected(store: BlobStore, operation: str, key: str) -> None:
    with pytest.raises(InvalidKeyError):
        getattr(store, operation)(key)


# --- delete and listing ------------------------------------------------------------------


def test_delete_removes_the_blob_and_is_idempotent(store: BlobStore) -> None:
    key = store.put(io.BytesIO(b"to be deleted")).key

    store.delete(key)
    store.delete(key)

    assert not store.exists(key)
    assert list(store.iter_keys()) == []
    with pytest.raises(BlobNotFoundError):
        store.open(key)


def test_iter_keys_lists_exactly_the_stored_keys(store: BlobStore) -> None:
    keys = [store.put(io.BytesIO(f"document {i}".encode())).key for i in range(5)]
    store.put(io.BytesIO(b"document 0"))  # a duplicate is still one key
    store.delete(keys[3])

    listed = list(store.iter_keys())

    assert sorted(listed) == sorted(keys[:3] + keys[4:])


def test_empty_store_lists_nothing(store: BlobStore) -> None:
    assert list(store.iter_keys()) == []


def test_check_passes_on_a_working_store(store: BlobStore) -> None:
    store.check()


# --- S3 specifics: bucket, credentials, availability -------------------------------------


@pytest.mark.s3
def test_s3_bucket_is_created_on_first_put(s3_server: S3Server, s3_admin: Any) -> None:
    bucket = f"lazy-{uuid.uuid4().hex[:16]}"
    store = make_s3_store(s3_server, bucket)

    store.check()
    assert list(store.iter_keys()) == []
    assert store.exists(MISSING_KEY) is False
    store.delete(MISSING_KEY)
    assert bucket not in {b["Name"] for b in s3_admin.list_buckets()["Buckets"]}

    key = store.put(io.BytesIO(b"first")).key

    assert list(store.iter_keys()) == [key]
    make_s3_store(s3_server, bucket).ensure_bucket()  # another node starting up
    s3_admin.delete_object(Bucket=bucket, Key=f"blobs/{key}")
    s3_admin.delete_bucket(Bucket=bucket)


@pytest.mark.s3
@pytest.mark.parametrize(
    "credentials",
    [{"secret_key": "not-the-secret"}, {"access_key": "AKIAUNKNOWNKEY000000"}],
    ids=["wrong-secret", "unknown-access-key"],
)
def test_s3_refuses_wrong_credentials(s3_server: S3Server, credentials: dict[str, str]) -> None:
    bucket = f"refused-{uuid.uuid4().hex[:16]}"
    store = make_s3_store(s3_server, bucket, **credentials)

    with pytest.raises(StorageUnavailableError, match="refused"):
        store.check()
    with pytest.raises(StorageUnavailableError, match="refused"):
        store.put(io.BytesIO(b"should not land"))
    with pytest.raises(StorageUnavailableError, match="refused"):
        store.open(MISSING_KEY)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.s3
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.check(),
        lambda s: s.put(io.BytesIO(b"data")),
        lambda s: s.open(MISSING_KEY),
        lambda s: s.exists(MISSING_KEY),
        lambda s: s.size(MISSING_KEY),
        lambda s: s.delete(MISSING_KEY),
        lambda s: list(s.iter_keys()),
    ],
    ids=["check", "put", "open", "exists", "size", "delete", "iter_keys"],
)
def test_s3_unreachable_server_raises_unavailable(
    closed_port: int, operation: Callable[[S3BlobStore], object]
) -> None:
    store = S3BlobStore(
        f"127.0.0.1:{closed_port}",
        "access",
        "secret",
        "ecase",
        secure=False,
        region="us-east-1",
    )

    with pytest.raises(StorageUnavailableError, match="unreachable"):
        operation(store)


@pytest.mark.s3
def test_s3_invalid_key_is_rejected_without_network(closed_port: int) -> None:
    store = S3BlobStore(f"127.0.0.1:{closed_port}", "access", "secret", "ecase", secure=False)

    with pytest.raises(InvalidKeyError):
        store.open("../../other-bucket/secret")


@pytest.fixture
def stalling() -> Iterator[StallingServer]:
    """A server that accepts connections and never answers (see `StallingServer`)."""
    with run_stalling_server() as server:
        yield server


def store_on_stalling(server: StallingServer) -> BlobStore:
    # Through the URL, as production configures it; one second keeps the suite quick.
    url = f"s3://ecase?endpoint={server.endpoint}&secure=0&region=us-east-1&timeout=1"
    return open_blob_store(url, access_key="access", secret_key="secret")


HUNG_OPERATIONS = pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.check(),
        lambda s: s.put(io.BytesIO(b"data")),
        lambda s: s.open(MISSING_KEY),
        lambda s: s.exists(MISSING_KEY),
        lambda s: s.size(MISSING_KEY),
        lambda s: s.delete(MISSING_KEY),
        lambda s: list(s.iter_keys()),
        lambda s: s.verify(MISSING_KEY),
    ],
    ids=["check", "put", "open", "exists", "size", "delete", "iter_keys", "verify"],
)


@pytest.mark.s3
@pytest.mark.timeout(30)
@HUNG_OPERATIONS
def test_s3_server_that_never_answers_raises_unavailable(
    stalling: StallingServer, operation: Callable[[BlobStore], object]
) -> None:
    store = store_on_stalling(stalling)

    with pytest.raises(StorageUnavailableError, match="unreachable"):
        operation(store)


@pytest.mark.s3
@pytest.mark.timeout(30)
@HUNG_OPERATIONS
def test_s3_timeout_is_not_retried(
    stalling: StallingServer, operation: Callable[[BlobStore], object]
) -> None:
    store = store_on_stalling(stalling)

    with pytest.raises(StorageUnavailableError):
        operation(store)

    # Each retry would have opened a connection and waited the whole timeout again.
    assert stalling.accepted == 1


@pytest.mark.s3
@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "consume",
    [lambda stream: stream.read(), lambda stream: stream.read(10 * 1024)],
    ids=["read-all", "read-past-what-arrived"],
)
def test_s3_download_that_stalls_mid_body_raises_unavailable(
    stalling: StallingServer, consume: Callable[[BinaryIO], bytes]
) -> None:
    stalling.stall_body()
    store = store_on_stalling(stalling)

    # The answer's head arrives, so opening succeeds; the missing body must still end.
    with store.open(MISSING_KEY) as stream, pytest.raises(StorageUnavailableError, match="read"):
        consume(stream)


@pytest.mark.s3
@pytest.mark.timeout(30)
def test_s3_verify_of_a_stalled_download_raises_unavailable(stalling: StallingServer) -> None:
    stalling.stall_body()
    store = store_on_stalling(stalling)

    with pytest.raises(StorageUnavailableError):
        store.verify(MISSING_KEY)
