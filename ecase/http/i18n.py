"""German first, English second: locale choice and the labels templates need."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel import dates as babel_dates
from flask import Flask, request, session
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    get_locale,
    get_translations,
    gettext,
)
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

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


# Lazy: a label is translated when it is shown, so a 500-row table costs 500 look-ups,
# not 3,000 (building the whole dict per call translated every label every time).
_STATUS_LABELS = {
    "open": _l("open"),
    "closed": _l("closed (zdA)"),
    "received": _l("received"),
    "processing": _l("processing"),
    "ready": _l("ready"),
    "failed": _l("failed"),
}


def status_label(status: str) -> str:
    return str(_STATUS_LABELS.get(str(status), status))


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


@pass_context
def _format_date(context: Context, value: date) -> str:
    # The render's locale, found once (see _request_gettext); a date has no time zone to
    # convert, so Babel alone gives what flask_babel.format_date would, per row faster.
    locale = context.get("babel_locale")
    if locale is None:
        return str(format_date(value, "medium"))
    return str(babel_dates.format_date(value, "medium", locale=locale))


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


def _request_gettext() -> dict[str, Any]:
    """Template ``_()`` bound to this request's catalogue, looked up once per render.

    Flask-Babel's own callables find the catalogue again on every call (about 20 µs
    through the context-local proxies); a case page with 500 documents calls them
    thousands of times. Same behaviour as Jinja's newstyle gettext: autoescape-aware,
    ``%(name)s`` placeholders filled from keyword arguments.
    """
    translations = get_translations()

    @pass_context
    def gettext(context: Context, message: str, **variables: Any) -> str:
        text = translations.gettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - our catalogue, as Jinja does; % escapes values
        rendered: str = text % variables
        return rendered

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, n: int, **variables: Any) -> str:
        variables.setdefault("num", n)
        text = translations.ngettext(singular, plural, n)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - our catalogue, as Jinja does; % escapes values
        rendered: str = text % variables
        return rendered

    return {"gettext": gettext, "ngettext": ngettext, "babel_locale": get_locale()}


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_domain="messages")
    app.context_processor(_request_gettext)
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
