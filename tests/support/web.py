"""Logging in through the real pages in tests: password, then the second factor."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pyotp
from flask.testing import FlaskClient

from tests.conftest import TEST_PASSWORD, StaffUser

SECRET_RE = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')


def without_csrf(body: bytes) -> bytes:
    """A page with its CSRF tokens blanked: they carry a timestamp, so two renders differ."""
    return re.sub(rb'(name="csrf_token"(?: type="hidden")? value=")[^"]+', rb"\1", body)


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "form without CSRF token"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, str]) -> tuple[int, str, str]:
    page = client.get(url)
    response = client.post(url, data={**data, "csrf_token": csrf(page.get_data(as_text=True))})
    return (
        response.status_code,
        response.headers.get("Location", ""),
        response.get_data(as_text=True),
    )


def password_step(
    client: FlaskClient, user: StaffUser, password: str = TEST_PASSWORD, next_url: str = ""
) -> tuple[int, str, str]:
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return post_form(client, url, {"username": user.username, "password": password})


def enrol(client: FlaskClient, location: str) -> tuple[str, list[str], str]:
    """Complete enrolment on the page ``location``; returns the secret, codes and next link."""
    page = client.get(location).get_data(as_text=True)
    match = SECRET_RE.search(page)
    assert match, "enrolment page without a key"
    secret = match.group(1)
    response = client.post(
        location, data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf(page)}
    )
    html = response.get_data(as_text=True)
    codes = re.findall(r"<li><code>([0-9a-f]{8}-[0-9a-f]{8})</code></li>", html)
    assert len(codes) == 10, html[:500]
    next_link = re.search(r'<a href="([^"]+)">', html.split("<ul", 1)[1])
    return secret, codes, next_link.group(1) if next_link else "/"


# Recovery codes per user name from the first (enrolling) login, for later logins in a test:
# a TOTP code may be used only once per 30 s, a recovery code once at all.
_CODES: dict[str, list[str]] = {}


def login(client: FlaskClient, user: StaffUser, next_url: str = "") -> str:
    """Password and second factor (enrolling on first use); returns where the login lands."""
    status, location, _ = password_step(client, user, next_url=next_url)
    assert status == 302, "password step failed"
    path = urlsplit(location).path
    if path == "/account/second-factor":
        _secret, codes, target = enrol(client, location)
        _CODES[user.token] = codes
        return target
    assert path == "/login/code", location
    code = _CODES[user.token].pop()
    _, target, html = post_form(client, location, {"code": code})
    assert target, html[:300]
    return target
