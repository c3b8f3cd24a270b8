"""Who is calling: a browser session (flask-login) or an API bearer token, as an ``Actor``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from flask_login import LoginManager, UserMixin, current_user

from ecase.domain.actor import Actor
from ecase.domain.errors import AuthenticationError
from ecase.http.context import service_context
from ecase.services import users

login_manager = LoginManager()


@dataclass(frozen=True)
class SessionUser(UserMixin):  # type: ignore[misc]  # flask-login ships no type information
    """The flask-login user: an actor plus the session version it was issued under."""

    actor: Actor
    session_version: int

    def get_id(self) -> str:
        return f"{self.actor.user_id}:{self.session_version}"


def client_address() -> str | None:
    return request.remote_addr


@login_manager.user_loader
def _load_session_user(raw: str) -> SessionUser | None:
    try:
        user_id, version = (int(part) for part in raw.split(":", 1))
    except ValueError:
        return None
    actor = users.actor_for_session(service_context(), user_id, version, client_address())
    return SessionUser(actor, version) if actor else None


@login_manager.request_loader
def _load_token_user(req: object) -> SessionUser | None:
    token = bearer_token()
    if token is None:
        return None
    actor = users.actor_for_token(service_context(), token, client_address())
    return SessionUser(actor, 0) if actor else None


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_actor() -> Actor:
    """The authenticated caller; raises so the error handler answers 401 or redirects to login."""
    if not current_user.is_authenticated:
        raise AuthenticationError("Please log in.")
    user = current_user._get_current_object()
    if not isinstance(user, SessionUser):
        raise AuthenticationError("Please log in.")
    return user.actor


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    login_manager.session_protection = "strong"
