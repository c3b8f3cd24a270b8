"""/api/v1/documents: a document's metadata and its original bytes."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from ecase.api.schemas import (
    DocumentPatchSchema,
    DocumentSchema,
    DocumentTextSchema,
    PageImageSchema,
)
from ecase.domain.errors import InvalidInputError
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.http.downloads import attachment_response
from ecase.services.casefile import documents, page_images
from ecase.services.casefile.views import DocumentView

bp = Blueprint("documents", __name__, url_prefix="/api/v1/documents", description="Documents")


@bp.route("/<int:document_id>")
class DocumentItem(MethodView):
    @bp.response(200, DocumentSchema)
    def get(self, document_id: int) -> DocumentView:
        """Status, page count and checksum of a document."""
        return documents.get_document(service_context(), current_actor(), document_id)

    @bp.arguments(DocumentPatchSchema)
    @bp.response(200, DocumentSchema)
    def patch(self, data: dict[str, Any], document_id: int) -> DocumentView:
        """Correct title, document type or date of receipt; the index follows."""
        if not data:
            raise InvalidInputError("Nothing to change: give title, doc_type or received_on.")
        changes = documents.DocumentChanges(**data)
        return documents.update_document(service_context(), current_actor(), document_id, changes)


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


@bp.route("/<int:document_id>/pages")
class DocumentPages(MethodView):
    @bp.response(200, PageImageSchema(many=True))
    def get(self, document_id: int) -> list[dict[str, object]]:
        """The pages with their image sizes and the URLs of page images and thumbnails."""
        pages = page_images.list_pages(service_context(), current_actor(), document_id)
        return [
            {
                "number": page.number,
                "width": page.width,
                "height": page.height,
                "image_url": _page_url("viewer.page_image", document_id, page),
                "thumb_url": _page_url("viewer.page_thumb", document_id, page),
                "text_source": page.text_source,
            }
            for page in pages
        ]


def _page_url(endpoint: str, document_id: int, page: page_images.PageInfo) -> str | None:
    if not page.has_image:
        return None
    return url_for(endpoint, document_id=document_id, number=page.number)
