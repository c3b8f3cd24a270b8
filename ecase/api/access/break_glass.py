"""Break-glass (Notfallzugriff): request emergency access, and the supervisors' review list."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ecase.api.schemas import (
    BreakGlassListArgsSchema,
    BreakGlassListSchema,
    BreakGlassRequestSchema,
    BreakGlassReviewSchema,
    BreakGlassSchema,
)
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.services.access import break_glass
from ecase.services.access.break_glass import GrantView

bp = Blueprint("break_glass", __name__, url_prefix="/api/v1", description="Emergency access")


@bp.route("/cases/<int:case_id>/break-glass")
class OpenBreakGlass(MethodView):
    @bp.arguments(BreakGlassRequestSchema)
    @bp.response(201, BreakGlassSchema)
    def post(self, data: dict[str, Any], case_id: int) -> GrantView:
        """Read-only access to a file outside your reach, for a limited time; flagged."""
        return break_glass.open_break_glass(
            service_context(), current_actor(), case_id, data["reason"], data["password"]
        )


@bp.route("/break-glass")
class BreakGlassList(MethodView):
    @bp.arguments(BreakGlassListArgsSchema, location="query")
    @bp.response(200, BreakGlassListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, list[GrantView]]:
        """Emergency accesses to review (supervisor: own teams' files; auditor: all)."""
        grants = break_glass.list_grants(
            service_context(), current_actor(), pending_only=args["pending"]
        )
        return {"grants": grants}


@bp.route("/break-glass/<int:grant_id>/review")
class ReviewBreakGlass(MethodView):
    @bp.arguments(BreakGlassReviewSchema)
    @bp.response(200, BreakGlassSchema)
    def post(self, data: dict[str, Any], grant_id: int) -> GrantView:
        """Sign an emergency access off."""
        return break_glass.review_grant(service_context(), current_actor(), grant_id, data["note"])
