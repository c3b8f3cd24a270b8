"""Reachability of the machine's PostgreSQL and Redis: skip outside CI, fail inside it."""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES_URL = os.environ.get(
    "ECASE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("ECASE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require(host: str, port: int, what: str) -> None:
    """With CI=true a missing service is a failure, never a skip."""
    if reachable(host, port):
        return
    message = f"{what} is not reachable on {host}:{port}"
    if in_ci():
        pytest.fail(message + " (CI=true: services must run)")
    pytest.skip(f"outside CI: {message}")
