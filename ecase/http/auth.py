"""Who is calling: a server-side browser session or an API bearer token, as an ``Actor``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from flask_login import LoginManager, UserMixin, current_user

from ecase.domain.actor import Actor
from ecase.domain.errors import AuthenticationError, SecondFactorRequiredError
from ecase.http.context import service_context
from ecase.services.access import sessions, users

login_manager = LoginManager()


@dataclass(frozen=True)
class SessionUser(UserMixin):  # type: ignore[misc]  # flask-login ships no type information
    """The flask-login user: an actor and the state of its login."""

    actor: Actor
    session_id: str | None  # None for API tokens
    second_factor_done: bool = True
    second_factor_enrolled: bool = True

    def get_id(self) -> str:
        return self.session_id or ""


def client_address() -> str | None:
    return request.remote_addr


@login_manager.user_loader
def _load_session_user(raw: str) -> SessionUser | None:
    state = sessions.resume_session(service_context(), raw, client_address())
    if state is None:
        return None
    return SessionUser(state.actor, raw, state.second_factor_done, state.second_factor_enrolled)


@login_manager.request_loader
def _load_token_user(_req: object) -> SessionUser | None:
    token = bearer_token()
    if token is None:
        return None
    actor = users.actor_for_token(service_context(), token, client_address())
    return SessionUser(actor, None) if actor else None


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def session_user() -> SessionUser | None:
    """The logged-in user even before the second factor (for the second-factor pages)."""
    if not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    return user if isinstance(user, SessionUser) else None


def current_actor() -> Actor:
    """The fully authenticated caller; otherwise the error handler answers 401 or redirects."""
    user = session_user()
    if user is None:
        raise AuthenticationError("Please log in.")
    if not user.second_factor_done:
        raise SecondFactorRequiredError(
            "Please confirm your login with the second factor.",
            enrolled=user.second_factor_enrolled,
        )
    return user.actor


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    # Server-side sessions do the real work; flask-login's own protection adds nothing.
    login_manager.session_protection = None
