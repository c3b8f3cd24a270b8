"""The application factory: settings in, a configured Flask app out, nothing at import time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from ecase import api
from ecase.bootstrap import build_context
from ecase.config import Settings
from ecase.http import assets, auth, compression, errors, i18n, limits, security
from ecase.http.context import EXTENSION_KEY
from ecase.jobs import Queue
from ecase.services.context import Context
from ecase.web.access import account, oversight
from ecase.web.casefile import cases, viewer, workspace
from ecase.web.intake import posteingang

csrf = CSRFProtect()
FORM_OVERHEAD_BYTES = 1024 * 1024
MAX_ID = 2**63 - 1


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` limited to what an id column can hold (64-bit signed)."""

    def __init__(
        self,
        url_map: Map,
        fixed_digits: int = 0,
        min: int | None = None,  # werkzeug's parameter names
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)


def create_app(settings: Settings | None = None, *, context: Context | None = None) -> Flask:
    settings = settings or (context.settings if context else Settings.from_env())
    app = Flask(
        "ecase",
        root_path=str(Path(__file__).parent),
        template_folder="templates",
        static_folder="static",
    )
    # Ids beyond 64 bits cannot exist; refusing them in routing keeps them from the database.
    app.url_map.converters["int"] = DatabaseIdConverter
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + FORM_OVERHEAD_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_NAME="ecase_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        BABEL_DEFAULT_TIMEZONE="Europe/Berlin",
        JSON_SORT_KEYS=False,
    )
    if context is None:
        queue = Queue(settings)
        context = build_context(
            settings,
            dispatch_document=queue.dispatch,
            dispatch_page_images=queue.dispatch_page_images,
            dispatch_batch=queue.dispatch_batch,
        )
    if settings.behind_proxy:
        # One trusted proxy in front: take the client address and scheme from it, so the
        # access log and login throttling see the real client, not the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.extensions[EXTENSION_KEY] = context

    csrf.init_app(app)

    @app.before_request
    def _csrf_unless_token() -> None:
        # CSRF exploits the browser sending the session cookie on its own. Bearer tokens are
        # never sent that way, and an API call without the cookie has no authority to abuse
        # (it is answered 401 later); pages always check, so the login form is covered too.
        if request.method in {"GET", "HEAD", "OPTIONS"} or auth.bearer_token() is not None:
            return
        cookie = app.config["SESSION_COOKIE_NAME"]
        if request.path.startswith("/api/") and cookie not in request.cookies:
            return
        csrf.protect()

    auth.init_app(app)
    i18n.init_app(app)
    api.init_app(app)
    app.register_blueprint(account.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(oversight.bp)
    app.register_blueprint(workspace.bp)
    app.register_blueprint(posteingang.bp)
    app.register_blueprint(viewer.bp)
    limits.init_app(app, settings)
    errors.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    compression.init_app(app)
    return app
