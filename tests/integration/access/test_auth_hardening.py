"""Home-office hardening: second factor, server-side sessions, revocation, throttling, headers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from ecase.app import create_app
from ecase.models import UserSession
from ecase.services.access import sessions, users
from ecase.services.context import Context
from tests.conftest import TEST_PASSWORD, StaffUser
from tests.support.web import csrf, enrol, login, password_step, post_form


def test_password_alone_does_not_open_anything(client: FlaskClient, caseworker: StaffUser) -> None:
    status, location, _ = password_step(client, caseworker, next_url="/")
    assert status == 302
    assert urlsplit(location).path == "/account/second-factor"
    home = client.get("/")
    assert home.status_code == 302
    assert "/account/second-factor" in home.headers["Location"]
    assert client.get("/api/v1/persons?q=x").status_code == 401


def test_enrolment_then_totp_login_and_no_replay(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    _, location, _ = password_step(client, caseworker)
    secret, codes, _ = enrol(client, location)
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client.get("/").get_data(as_text=True))})

    _, location, _ = password_step(client, caseworker)
    assert urlsplit(location).path == "/login/code"
    # The enrolment used the current code; the next one (30 s ahead) is within the drift window.
    code = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
    _, target, _ = post_form(client, location, {"code": code})
    assert target == "/"
    client.post("/logout", data={"csrf_token": csrf(client.get("/").get_data(as_text=True))})

    _, location, _ = password_step(client, caseworker)
    status, target, html = post_form(client, location, {"code": code})
    assert status == 200
    assert target == ""
    assert "nicht gültig" in html, "a used TOTP code is refused"
    _, target, _ = post_form(client, location, {"code": codes[0]})
    assert target == "/", "a recovery code works once"


def test_logout_ends_the_session_on_the_server(client: FlaskClient, caseworker: StaffUser) -> None:
    login(client, caseworker)
    stolen = client.get_cookie("ecase_session")
    assert stolen is not None
    client.post("/logout", data={"csrf_token": csrf(client.get("/").get_data(as_text=True))})
    client.set_cookie("ecase_session", stolen.value)
    assert client.get("/").status_code == 302, "a copied cookie is worthless after logout"


@pytest.mark.parametrize(
    "change",
    [
        {"last_seen_at": datetime.now(UTC) - timedelta(minutes=31)},
        {"expires_at": datetime.now(UTC) - timedelta(seconds=1)},
    ],
    ids=["idle-30-min", "absolute-10-h"],
)
def test_idle_and_absolute_timeouts(
    ctx: Context, client: FlaskClient, caseworker: StaffUser, change: dict[str, datetime]
) -> None:
    login(client, caseworker)
    assert client.get("/").status_code == 200
    with ctx.uow() as uow:
        uow.session.execute(update(UserSession).values(**change))
        uow.commit()
    assert client.get("/").status_code == 302


def test_password_change_ends_every_session_and_token(
    app: object, ctx: Context, client: FlaskClient, caseworker: StaffUser
) -> None:
    other_device = client.application.test_client()
    login(other_device, caseworker)
    login(client, caseworker)
    assert client.get("/api/v1/persons?q=x", headers=caseworker.headers).status_code == 200
    new = "Ganz-Neues-Passwort-7"
    _, location, _ = post_form(
        client, "/account/password", {"current": TEST_PASSWORD, "new": new, "repeat": new}
    )
    assert urlsplit(location).path == "/login"
    assert other_device.get("/").status_code == 302
    assert client.get("/api/v1/persons?q=x", headers=caseworker.headers).status_code == 401
    status, _, _ = password_step(client, caseworker, password=new)
    assert status == 302


def test_disabling_an_account_ends_its_access(
    ctx: Context, client: FlaskClient, caseworker: StaffUser
) -> None:
    login(client, caseworker)
    users.set_active(ctx, None, caseworker.username, active=False)
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/persons?q=x", headers=caseworker.headers).status_code == 401
    status, _, html = password_step(client, caseworker)
    assert status == 200
    assert "Unbekannter Benutzername oder falsches Passwort" in html


def test_failed_logins_are_throttled_per_user_name_alike_for_unknown_users(
    client: FlaskClient, make_user: Callable[..., StaffUser]
) -> None:
    victim = make_user("caseworker", ("Team A",))
    ghost = replace(victim, actor=replace(victim.actor, username="nobody-here"))
    for user in (victim, ghost):
        for _ in range(5):
            status, _, _ = password_step(client, user, password="wrong-password-000")
            assert status == 200
        status, _, html = password_step(client, user, password="wrong-password-000")
        assert status == 429
        assert "Zu viele Versuche" in html
    status, _, _ = password_step(client, victim)
    assert status == 429, "even the right password waits out the lock"


def test_cookies_and_headers(ctx: Context, client: FlaskClient, caseworker: StaffUser) -> None:
    password_step(client, caseworker)
    cookie = client.get_cookie("ecase_session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure, "development runs on plain http"
    for url in ("/login", "/api/v1/cases/999", "/healthz"):
        headers = client.get(url).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]
        assert headers["Cache-Control"] == "no-store"

    production = replace(
        ctx.settings, env="production", behind_proxy=True, secret_key="p" * 48, audit_key="a" * 48
    )
    secure_client = create_app(context=replace(ctx, settings=production)).test_client()
    password_step(secure_client, caseworker)
    cookie = secure_client.get_cookie("ecase_session")
    assert cookie is not None
    assert cookie.secure


def test_ended_sessions_are_purged(
    ctx: Context, client: FlaskClient, caseworker: StaffUser
) -> None:
    login(client, caseworker)
    client.post("/logout", data={"csrf_token": csrf(client.get("/login").get_data(as_text=True))})
    with ctx.uow() as uow:
        uow.session.execute(
            update(UserSession).values(revoked_at=datetime.now(UTC) - timedelta(days=2))
        )
        uow.commit()
    assert sessions.purge_ended(ctx) >= 1
    assert sessions.purge_ended(ctx) == 0
