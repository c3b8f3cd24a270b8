"""German first, English second: locale choice and the labels templates need."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request, session
from flask_babel import Babel, format_date, format_datetime, get_locale, gettext

from ecase.domain.messages import localise

_ = gettext

SUPPORTED = ("de", "en")
babel = Babel()


def select_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in SUPPORTED:
        session["lang"] = chosen
        return chosen
    stored = session.get("lang")
    if stored in SUPPORTED:
        return str(stored)
    # Staff of a German office get German unless they asked for English explicitly.
    return "de"


def role_label(role: str) -> str:
    labels = {
        "clerk": _("Clerk"),
        "caseworker": _("Caseworker"),
        "supervisor": _("Supervisor"),
        "auditor": _("Data protection officer"),
        "admin": _("Administrator"),
    }
    return str(labels.get(str(role), role))


def status_label(status: str) -> str:
    labels = {
        "open": _("open"),
        "closed": _("closed (zdA)"),
        "received": _("received"),
        "processing": _("processing"),
        "ready": _("ready"),
        "failed": _("failed"),
    }
    return str(labels.get(str(status), status))


def error_title(status: int) -> str:
    titles = {
        400: _("The request could not be processed"),
        401: _("Please log in"),
        403: _("Not allowed"),
        404: _("Not found"),
        409: _("Conflict"),
        413: _("File too large"),
        415: _("File type not accepted"),
        429: _("Too many attempts"),
        503: _("Temporarily unavailable"),
    }
    return str(titles.get(status, _("An error occurred")))


def _format_date(value: date) -> str:
    return str(format_date(value, "medium"))


def _format_datetime(value: datetime) -> str:
    return str(format_datetime(value, "medium"))


def finding_label(kind: str) -> str:
    labels = {
        "break-glass": _("Emergency access"),
        "mass-opening": _("Many files opened"),
        "outside-hours": _("Outside working hours"),
    }
    return str(labels.get(kind, kind))


def localised(message: str) -> str:
    """A service's message (marked with ``N_``) in the reader's language."""
    return localise(message, gettext)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_domain="messages")
    app.jinja_env.globals.update(
        role_label=role_label,
        status_label=status_label,
        error_title=error_title,
        current_locale=lambda: str(get_locale() or "de"),
    )
    app.jinja_env.filters["format_date"] = _format_date
    app.jinja_env.filters["localised"] = localised
    app.jinja_env.filters["format_datetime"] = _format_datetime
    app.jinja_env.globals["finding_label"] = finding_label
