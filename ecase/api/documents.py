"""/api/v1/documents: a document's metadata and its original bytes."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from ecase.api.schemas import DocumentSchema, DocumentTextSchema
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.http.downloads import attachment_response
from ecase.services import documents
from ecase.services.views import DocumentView

bp = Blueprint("documents", __name__, url_prefix="/api/v1/documents", description="Documents")


@bp.route("/<int:document_id>")
class DocumentItem(MethodView):
    @bp.response(200, DocumentSchema)
    def get(self, document_id: int) -> DocumentView:
        """Status, page count and checksum of a document."""
        return documents.get_document(service_context(), current_actor(), document_id)


@bp.route("/<int:document_id>/content")
class DocumentContent(MethodView):
    @bp.response(200, description="The original file as an attachment")
    def get(self, document_id: int) -> Response:
        """The original bytes, exactly as received."""
        content, stream = documents.open_content(service_context(), current_actor(), document_id)
        return attachment_response(content, stream)


@bp.route("/<int:document_id>/text")
class DocumentText(MethodView):
    @bp.response(200, DocumentTextSchema)
    def get(self, document_id: int) -> dict[str, object]:
        """The extracted or OCR text, per page and joined."""
        view, pages = documents.get_text(service_context(), current_actor(), document_id)
        return {
            "id": view.id,
            "status": view.status,
            "page_count": view.page_count,
            "text": "\f".join(page.text for page in pages),
            "pages": pages,
        }
