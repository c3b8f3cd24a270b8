"""A local TCP server that plays a hung S3 server, for tests of timeouts and outage answers.

Plain code, no pytest: fixtures wrap `run_stalling_server`. Without an upstream it only
knows how to fail; with one (the moto server of ``tests/support/s3.py``) it relays every
request until told to hang, so that a test can store something first and then lose the
server under the same endpoint.
"""

from __future__ import annotations

import enum
import selectors
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Behaviour", "StallingServer", "run_stalling_server"]

_POLL = 0.1
# What a GET answer looks like to minio just before the body, which then never comes.
_STALLED_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Length: 1048576\r\n"
    b"\r\n" + b"\0" * 1024
)


class Behaviour(enum.Enum):
    FORWARD = "forward"
    """Relay to the upstream (without one: the same as `HANG`)."""
    HANG = "hang"
    """Accept, read whatever arrives, never answer."""
    STALL_BODY = "stall_body"
    """Answer with the head of a response (the upstream's, or a 200 promising 1 MiB), then
    send nothing more."""


class StallingServer:
    """Listens on 127.0.0.1; every connection behaves as the server did when it was accepted.

    Switching the behaviour ends the connections accepted before, so that a client's
    pooled keep-alive connection cannot keep relaying after `hang`: its next request
    finds the connection dropped and opens a new one, which meets the new behaviour.
    """

    def __init__(self, upstream: str | None = None) -> None:
        self._upstream = _address(upstream) if upstream else None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_POLL)
        self._lock = threading.Lock()
        self._behaviour = Behaviour.FORWARD if upstream else Behaviour.HANG
        self._generation = 0
        self._handlers: list[tuple[int, threading.Thread]] = []
        self._stopped = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self.accepted = 0
        """How many connections arrived, to show that a timeout was not retried."""

    @property
    def endpoint(self) -> str:
        """``host:port``, the form minio and ``ECASE_STORAGE_URL`` use."""
        host, port = self._listener.getsockname()[:2]
        return f"{host}:{port}"

    def start(self) -> None:
        self._acceptor.start()

    def stop(self) -> None:
        self._stopped.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        self._join_handlers()

    def hang(self) -> None:
        self._switch(Behaviour.HANG)

    def stall_body(self) -> None:
        self._switch(Behaviour.STALL_BODY)

    def forward(self) -> None:
        if self._upstream is None:
            raise RuntimeError("there is no upstream to forward to")
        self._switch(Behaviour.FORWARD)

    def _switch(self, behaviour: Behaviour) -> None:
        with self._lock:
            self._behaviour = behaviour
            self._generation += 1
        self._join_handlers()

    def _join_handlers(self) -> None:
        """Wait for the connections of earlier behaviours (all, once stopped) to end."""
        with self._lock:
            old = [h for g, h in self._handlers if g != self._generation or self._stopped.is_set()]
            self._handlers = [(g, h) for g, h in self._handlers if h not in old]
        for handler in old:
            handler.join(timeout=5)

    def _current(self, generation: int) -> bool:
        return not self._stopped.is_set() and self._generation == generation

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                args = (conn, self._behaviour, self._generation)
                handler = threading.Thread(target=self._handle, args=args, daemon=True)
                self._handlers.append((self._generation, handler))
            handler.start()

    def _handle(self, conn: socket.socket, behaviour: Behaviour, generation: int) -> None:
        # Socket errors end the connection quietly: an exception escaping a thread would
        # fail the test (filterwarnings = error) for something the client did on purpose.
        try:
            with conn:
                conn.settimeout(5)
                if behaviour is Behaviour.FORWARD and self._upstream:
                    self._relay(conn, generation, stall=False)
                elif behaviour is Behaviour.STALL_BODY and self._upstream:
                    self._relay(conn, generation, stall=True)
                elif behaviour is Behaviour.STALL_BODY:
                    self._stall_canned(conn, generation)
                else:
                    self._swallow(conn, generation)
        except OSError:
            pass

    def _swallow(self, conn: socket.socket, generation: int) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(conn, selectors.EVENT_READ)
            while self._current(generation):
                if selector.select(_POLL) and not conn.recv(65536):
                    return

    def _stall_canned(self, conn: socket.socket, generation: int) -> None:
        request = b""
        with selectors.DefaultSelector() as selector:
            selector.register(conn, selectors.EVENT_READ)
            while self._current(generation):
                if not selector.select(_POLL):
                    continue
                data = conn.recv(65536)
                if not data:
                    return
                request += data
                if b"\r\n\r\n" in request:
                    conn.sendall(_STALLED_HEAD)
                    break
        self._swallow(conn, generation)

    def _relay(self, conn: socket.socket, generation: int, *, stall: bool) -> None:
        assert self._upstream is not None
        head_sent = False
        answer = b""
        with (
            socket.create_connection(self._upstream, timeout=5) as upstream,
            selectors.DefaultSelector() as selector,
        ):
            selector.register(conn, selectors.EVENT_READ)
            selector.register(upstream, selectors.EVENT_READ)
            while self._current(generation):
                for key, _ in selector.select(_POLL):
                    source = key.fileobj
                    assert isinstance(source, socket.socket)
                    data = source.recv(65536)
                    if not data:
                        return
                    if source is conn:
                        upstream.sendall(data)
                    elif not stall:
                        conn.sendall(data)
                    elif not head_sent:
                        # Pass the first answer's head, then swallow everything after it.
                        answer += data
                        end = answer.find(b"\r\n\r\n")
                        if end >= 0:
                            conn.sendall(answer[: end + 4])
                            head_sent = True


def _address(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host, int(port)


@contextmanager
def run_stalling_server(upstream: str | None = None) -> Iterator[StallingServer]:
    """Start a `StallingServer` (relaying to ``upstream`` ``host:port`` if given); stop on exit."""
    server = StallingServer(upstream)
    server.start()
    try:
        yield server
    finally:
        server.stop()
