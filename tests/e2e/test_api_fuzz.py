"""Property-based requests generated from the OpenAPI document: no request makes a 500.

Schemathesis builds valid and invalid calls for every operation (odd strings, huge numbers,
missing fields) and sends them, authenticated, to the real app on a real database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import Engine

from tests.conftest import StaffUser

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 12


@pytest.fixture(params=["sqlite"])
def engine(sqlite_engine: Engine) -> Engine:
    """Fuzzing targets the HTTP surface; SQLite keeps it fast."""
    return sqlite_engine


@pytest.mark.parametrize("role", ["caseworker", "clerk"])
def test_no_request_makes_a_server_error(
    app: Any, make_user: Callable[..., StaffUser], role: str
) -> None:
    """As a caseworker (files, notes, search) and as a clerk (scan batches, inbox, edits)."""
    user = make_user(role, ("Team A",))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    calls: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            calls.append(case.operation.label)
            case.call_and_validate(headers=user.headers, checks=[not_a_server_error])

        no_server_error()
    assert len(set(calls)) == len(operations), "every operation was exercised"
    assert len(calls) >= 5 * len(operations)
