"""/healthz (the process lives) and /readyz (its database and storage answer)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ecase.api.schemas import HealthSchema
from ecase.http.context import service_context
from ecase.services.integrity import check_ready

bp = Blueprint("health", __name__, description="Health checks for load balancers")


@bp.route("/healthz")
class Health(MethodView):
    @bp.response(200, HealthSchema)
    def get(self) -> dict[str, object]:
        """Liveness: answers while the process can serve requests."""
        return {"status": "ok", "checks": {}}


@bp.route("/readyz")
class Ready(MethodView):
    @bp.response(200, HealthSchema)
    @bp.alt_response(503, schema=HealthSchema)
    def get(self) -> tuple[dict[str, object], int]:
        """Readiness: the database and the blob store answer."""
        checks = check_ready(service_context())
        ok = all(value == "ok" for value in checks.values())
        return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
