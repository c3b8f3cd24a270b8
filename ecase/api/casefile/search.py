"""/api/v1/search: full-text search across the files the caller may see."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ecase.api.schemas import SearchArgsSchema, SearchResultSchema
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.services.casefile import search
from search import SearchResult

bp = Blueprint("search", __name__, url_prefix="/api/v1/search", description="Full-text search")


@bp.route("")
class Search(MethodView):
    @bp.arguments(SearchArgsSchema, location="query")
    @bp.response(200, SearchResultSchema)
    def get(self, args: dict[str, Any]) -> SearchResult:
        """Search document text, titles, Aktenzeichen and names; `case` restricts to one file."""
        request = search.SearchRequest(
            text=args["q"],
            case_id=args["case"],
            doc_type=args["doc_type"],
            received_from=args["received_from"],
            received_to=args["received_to"],
            limit=args["limit"],
            offset=args["offset"],
        )
        return search.search_documents(service_context(), current_actor(), request)
