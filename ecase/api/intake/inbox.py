"""/api/v1/inbox and /documents/{id}/assign: the clerks' Posteingang."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ecase.api.casefile.cases import UPLOAD_BODY
from ecase.api.schemas import ID_RANGE, DocumentSchema, UploadAcceptedSchema
from ecase.domain.enums import DocumentSource
from ecase.domain.errors import InvalidInputError
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.services.casefile import documents
from ecase.services.casefile.views import DocumentView
from ecase.services.intake import inbox

bp = Blueprint("inbox", __name__, url_prefix="/api/v1", description="Posteingang (inbox)")


class SuggestionSchema(Schema):
    case_id = fields.Integer()
    reference = fields.String()
    reason = fields.String()


class InboxDocumentSchema(DocumentSchema):
    suggestions = fields.List(fields.Nested(SuggestionSchema))


class InboxSchema(Schema):
    documents = fields.List(fields.Nested(InboxDocumentSchema))


class AssignSchema(Schema):
    case_id = fields.Integer(required=True, strict=True, validate=ID_RANGE)


@bp.route("/inbox")
class Inbox(MethodView):
    @bp.response(200, InboxSchema)
    def get(self) -> dict[str, list[dict[str, object]]]:
        """Unfiled documents, oldest first, each with ranked suggestions of case files."""
        items = inbox.list_inbox(service_context(), current_actor())
        return {
            "documents": [
                {**asdict(item.document), "suggestions": item.suggestions} for item in items
            ]
        }

    @bp.doc(requestBody=UPLOAD_BODY)
    @bp.response(202, UploadAcceptedSchema)
    def post(self) -> DocumentView:
        """Put a document into the Posteingang (no case file yet); processing starts."""
        actor = current_actor()
        file = request.files.get("file")
        if file is None:
            raise InvalidInputError(
                "Please attach the document as the form field 'file'.", field="file"
            )
        upload = documents.Upload(
            stream=file.stream,
            filename=file.filename or "",
            title=request.form.get("title"),
            doc_type=request.form.get("doc_type"),
            source=DocumentSource.SCAN,
        )
        return documents.add_document(service_context(), actor, None, upload)


@bp.route("/documents/<int:document_id>/assign")
class Assign(MethodView):
    @bp.arguments(AssignSchema)
    @bp.response(200, DocumentSchema)
    def post(self, data: dict[str, Any], document_id: int) -> DocumentView:
        """File an inbox document into a case file."""
        return inbox.assign_document(
            service_context(), current_actor(), document_id, data["case_id"]
        )
