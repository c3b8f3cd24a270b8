"""Password hashing (argon2id) and the minimum a password must meet."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ecase.domain.errors import InvalidInputError
from ecase.domain.messages import N_

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps the time for unknown users equal to that for wrong ones."""
    return _hasher.hash("not-a-real-password-only-for-timing")


def check_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    if password.isdigit() or (password.isalpha() and password.lower() == password):
        raise InvalidInputError(
            N_("The password must mix letters with digits, capitals or symbols."), field="password"
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
