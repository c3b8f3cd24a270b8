"""Deny by default for pages: every route of the URL map, called without a session and with
no query string, sends the caller to the login page (API routes answer 401) — not only the
routes whose view happens to ask for the actor. An outside test found ``GET /persons``
answering 200 with an empty form because that view asks only when a query is given."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

#: Routes that answer without a session, and why.
OPEN = {
    "static": "the style sheet and scripts of the login page",
    "account.login": "signing in",
    "health.Health": "liveness probe",
    "health.Ready": "readiness probe",
    "api-docs.openapi_json": "the API's shape; no data",
}


def _concrete(rule: str) -> str:
    """The rule with every converter filled in by a plausible value."""
    path = rule
    while "<" in path:
        start = path.index("<")
        end = path.index(">", start)
        converter = path[start + 1 : end]
        value = "1" if converter.startswith(("int:", "path:")) or ":" not in converter else "x"
        if converter.startswith("path:"):
            value = "ecase.css"
        path = path[:start] + value + path[end + 1 :]
    return path


def test_every_page_needs_a_session(app: Flask, client: FlaskClient) -> None:
    wrong = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN:
            continue
        path = _concrete(rule.rule)
        for method in sorted(rule.methods or ()):
            if method in {"HEAD", "OPTIONS"}:
                continue
            response = client.open(path, method=method)
            if path.startswith("/api/"):
                if response.status_code != 401:
                    wrong.append(f"{method} {path}: {response.status_code}, expected 401")
            elif method == "GET":
                location = urlsplit(response.headers.get("Location", "")).path
                if response.status_code != 302 or location != "/login":
                    wrong.append(f"{method} {path}: {response.status_code} -> {location!r}")
            elif response.status_code not in {302, 400}:
                # a form post without session and CSRF token is refused either way
                wrong.append(f"{method} {path}: {response.status_code}, expected 302 or 400")
    assert not wrong, "\n".join(wrong)


def test_the_empty_person_search_form_is_not_shown_to_anonymous_callers(
    client: FlaskClient,
) -> None:
    response = client.get("/persons")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
