"""The JSON API under /api/v1 with its OpenAPI 3 document generated from these modules."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from ecase.api import health
from ecase.api.access import audit, break_glass
from ecase.api.casefile import cases, documents, persons, search
from ecase.api.intake import document_edits, inbox, scan_batches


class EcaseApi(Api):  # type: ignore[misc]  # flask-smorest ships no type information
    """flask-smorest without its app-wide error handlers: ecase.http.errors answers errors."""

    def _register_error_handlers(self) -> None:
        return None


api = EcaseApi()


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="ecase API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Electronic case files for the Ausländerbehörde."},
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "ecase_session"},
                }
            },
            "security": [{"bearer": []}, {"session": []}],
        },
    )
    api.init_app(app)
    for module in (persons, cases, documents, inbox, search, break_glass, audit, health):
        api.register_blueprint(module.bp)
    api.register_blueprint(document_edits.bp)
    api.register_blueprint(scan_batches.bp)
