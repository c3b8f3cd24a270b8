"""Login throttling: per client address and per user name, counted on failures only."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ecase.config import Settings

# Failed attempts that lock a user name (known or not: the answer never tells) for a while.
PER_USERNAME = "5 per 15 minutes"
PER_ADDRESS = "30 per 15 minutes"
SECOND_FACTOR = "5 per 15 minutes"
# Break-glass asks for the password again; a stolen token must not make it a guessing oracle.
BREAK_GLASS = "5 per 15 minutes"


def _credential_key() -> str:
    """The caller's credential (token or session cookie), hashed: one counter per login."""
    credential = request.headers.get("Authorization") or request.cookies.get("ecase_session", "")
    return "cred:" + hashlib.sha256(credential.encode()).hexdigest()


def _username_key() -> str:
    return "login:" + (request.form.get("username") or "").strip().lower()[:64]


def _failed(response: Response) -> bool:
    # A successful login redirects; a refused one renders the form again.
    return response.status_code != 302


def storage_uri(settings: Settings) -> str:
    """Shared counters on multi-node installations (Redis), per process when embedded."""
    if settings.queue_url.startswith(("redis://", "rediss://")):
        return settings.queue_url
    return "memory://"


def init_app(app: Flask, settings: Settings) -> Limiter:
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=storage_uri(settings),
        strategy="moving-window",
        headers_enabled=False,
        # A Redis outage must not lock everyone out; throttling resumes when it is back.
        swallow_errors=True,
    )
    # The views live in a blueprint that must not know the limiter; wrap them here.
    views: dict[str, Any] = app.view_functions
    login = views["account.login"]
    login = limiter.limit(
        PER_USERNAME, key_func=_username_key, methods=["POST"], deduct_when=_failed
    )(login)
    views["account.login"] = limiter.limit(PER_ADDRESS, methods=["POST"], deduct_when=_failed)(
        login
    )
    views["account.second_factor"] = limiter.limit(
        SECOND_FACTOR, methods=["POST"], deduct_when=_failed
    )(views["account.second_factor"])
    views["break_glass.OpenBreakGlass"] = limiter.limit(
        BREAK_GLASS,
        key_func=_credential_key,
        methods=["POST"],
        deduct_when=lambda response: response.status_code == 403,
    )(views["break_glass.OpenBreakGlass"])
    views["oversight.break_glass_request"] = limiter.limit(
        BREAK_GLASS,
        key_func=_credential_key,
        methods=["POST"],
        deduct_when=lambda response: response.status_code == 403,
    )(views["oversight.break_glass_request"])
    return limiter
