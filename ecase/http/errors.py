"""The one place where errors become HTTP answers: JSON under /api, pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from ecase.domain.errors import (
    AuthenticationError,
    ConflictError,
    EcaseError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    SecondFactorRequiredError,
    ServiceUnavailableError,
    TooManyAttemptsError,
    UnsupportedMediaError,
)
from ecase.http.i18n import localised

log = logging.getLogger(__name__)

TOO_MANY = "Too many attempts. Please wait 15 minutes before trying again."
STATUS_FOR: dict[type[EcaseError], int] = {
    InvalidInputError: 400,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    PayloadTooLargeError: 413,
    UnsupportedMediaError: 415,
    TooManyAttemptsError: 429,
    ServiceUnavailableError: 503,
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in {"/healthz", "/readyz"}


def _payload(status: int, name: str, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": status, "status": name, "message": message}
    body.update({k: v for k, v in extra.items() if v})
    return body


def _respond(status: int, name: str, message: str, **extra: Any) -> Response:
    if wants_json():
        response = jsonify(_payload(status, name, message, **extra))
        response.status_code = status
    else:
        html = render_template("error.html", status=status, message=localised(message))
        response = Response(html, status=status, mimetype="text/html")
    if status == 503:
        response.headers["Retry-After"] = "30"
    return response


def handle_ecase_error(error: EcaseError) -> Response:
    status = next((code for cls, code in STATUS_FOR.items() if isinstance(error, cls)), 400)
    if status == 401 and not wants_json():
        target = request.full_path.rstrip("?")
        if isinstance(error, SecondFactorRequiredError):
            page = "account.second_factor" if error.enrolled else "account.enrol_second_factor"
            return redirect(url_for(page, next=target))  # type: ignore[return-value]  # werkzeug's redirect type
        return redirect(url_for("account.login", next=target))  # type: ignore[return-value]  # werkzeug's redirect type
    name = type(error).__name__.removesuffix("Error")
    response = _respond(status, name, error.message, field=error.field)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ecase"'
    return response


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    # webargs puts field-level validation messages here; they help API callers fix requests.
    errors = data.get("messages") if isinstance(data, dict) else None
    message = str(error.description or error.name)
    if status == 422 and errors:
        message = "The request has invalid or missing fields; see 'errors'."
    if status == 413:
        message = "The request is larger than the upload limit."
    if status == 429:
        # A literal, so that pybabel extracts it (it cannot see through TOO_MANY); same text.
        message = (
            TOO_MANY
            if wants_json()
            else gettext("Too many attempts. Please wait 15 minutes before trying again.")
        )
    return _respond(status, error.name, message, errors=errors)


def handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _respond(500, "Internal Server Error", "An internal error occurred; it was logged.")


def init_app(app: Flask) -> None:
    app.register_error_handler(EcaseError, handle_ecase_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
