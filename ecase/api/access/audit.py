"""/api/v1/audit: the access log for supervisors (their teams) and auditors (everything)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from ecase.api.schemas import (
    AuditArgsSchema,
    AuditListSchema,
    FindingListSchema,
    UnusualArgsSchema,
)
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.services.access import audit_log

bp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Access log")


def _filter(args: dict[str, Any]) -> audit_log.AuditFilter:
    return audit_log.AuditFilter(
        case_id=args["case"],
        username=args["user"],
        person_id=args["person"],
        action=args["action"],
        since=args["since"],
        until=args["until"],
        flagged=args["flagged"],
        limit=args["limit"],
        offset=args["offset"],
    )


@bp.route("")
class AuditEvents(MethodView):
    @bp.arguments(AuditArgsSchema, location="query")
    @bp.response(200, AuditListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, object]:
        """Events, newest first; reading the log is itself logged."""
        events = audit_log.list_events(service_context(), current_actor(), _filter(args))
        return {"events": events}


@bp.route("/export.csv")
class AuditExport(MethodView):
    @bp.arguments(AuditArgsSchema, location="query")
    @bp.response(200, description="The filtered events as CSV (the export is logged)")
    def get(self, args: dict[str, Any]) -> Response:
        """The same events as CSV, for the data protection officer's records."""
        body = audit_log.export_csv(service_context(), current_actor(), _filter(args))
        response = Response(body, mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="zugriffsprotokoll.csv"'
        return response


@bp.route("/unusual")
class UnusualAccess(MethodView):
    @bp.arguments(UnusualArgsSchema, location="query")
    @bp.response(200, FindingListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, object]:
        """Break-glass use, mass opening of files and reads outside working hours."""
        since = datetime.now(UTC) - timedelta(days=args["days"])
        findings = audit_log.unusual_access(service_context(), current_actor(), since)
        return {"findings": findings}
