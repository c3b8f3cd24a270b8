"""The root of ecase's own exceptions; the entry points map each class to one HTTP status."""

from __future__ import annotations


class EcaseError(Exception):
    """Base of every error ecase raises on purpose; the message is meant for people."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(EcaseError):
    """The object does not exist *or the caller may not see it* (the two are never told apart)."""


class InvalidInputError(EcaseError):
    """The request is well-formed but its content breaks a rule (missing name, bad date...)."""


class ConflictError(EcaseError):
    """The request collides with existing state (duplicate Aktenzeichen, closed file...)."""


class PermissionDeniedError(EcaseError):
    """The caller is known but not allowed to do this; used where hiding existence is pointless."""


class AuthenticationError(EcaseError):
    """Credentials are missing or wrong; the message never says which part was wrong."""


class SecondFactorRequiredError(AuthenticationError):
    """The password was right; the session waits for the second factor (or its enrolment)."""

    def __init__(self, message: str, *, enrolled: bool) -> None:
        super().__init__(message)
        self.enrolled = enrolled


class TooManyAttemptsError(EcaseError):
    """Login throttling: the caller must wait before trying again."""


class PayloadTooLargeError(EcaseError):
    """An upload exceeds the configured size limit."""


class UnsupportedMediaError(EcaseError):
    """An upload is not one of the file types ecase accepts."""


class ServiceUnavailableError(EcaseError):
    """A backing service (storage, database) is down; nothing was recorded, retry later."""
