"""Access to the application's service context from inside a request."""

from __future__ import annotations

from flask import current_app

from ecase.services.context import Context

EXTENSION_KEY = "ecase"


def service_context() -> Context:
    ctx = current_app.extensions[EXTENSION_KEY]
    if not isinstance(ctx, Context):
        raise TypeError("the app was not built by ecase.create_app")
    return ctx
