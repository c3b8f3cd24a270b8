"""Running the real ``ecase serve`` (web + worker) in a subprocess for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

PASSWORD = "Newcomer-Password-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECASE_")}
    env.update({"ECASE_HOME": str(home), "ECASE_OCR_PROCESSES": "1"})
    return env


def ecase(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ecase.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout.strip()


@dataclass(frozen=True)
class Running:
    base: str
    token: str
    env: dict[str, str]


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "ecase serve exited early"
        try:
            if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    pytest.fail("ecase serve did not become ready within 60 s")


@contextmanager
def serve(env: dict[str, str], user: str = "erika", role: str = "caseworker") -> Iterator[Running]:
    """Initialise, create a team and a user with an API token, serve until the block ends."""
    port = free_port()
    env = {**env, "ECASE_PORT": str(port)}
    ecase(env, "init", "--admin", "root", "--password", PASSWORD)
    ecase(env, "team", "create", "Sachgebiet 32")
    ecase(
        env,
        "user",
        "create",
        user,
        "--role",
        role,
        "--team",
        "Sachgebiet 32",
        "--password",
        PASSWORD,
    )
    token = ecase(env, "token", "create", user)
    process = subprocess.Popen(
        [sys.executable, "-m", "ecase.cli", "serve", "--workers", "1"],
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield Running(base, token, env)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
