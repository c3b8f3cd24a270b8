"""/api/v1/documents/{id}/split|rotate|merge: edits of inbox documents, each a new version."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ecase.api.schemas import ID_RANGE, DocumentSchema
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.services.intake import document_edits
from ecase.services.intake.document_edits import EditResult

bp = Blueprint(
    "document_edits",
    __name__,
    url_prefix="/api/v1",
    description="Editing inbox documents before filing (new versions; the original stays)",
)

PAGE = validate.Range(min=0, max=100_000)


class SplitSchema(Schema):
    at_page = fields.Integer(
        required=True,
        strict=True,
        validate=PAGE,
        metadata={"description": "first page of the new document (2 or later)"},
    )


class RotateSchema(Schema):
    pages = fields.List(
        fields.Integer(strict=True, validate=PAGE),
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "page numbers, from 1"},
    )
    degrees = fields.Integer(
        required=True, strict=True, metadata={"description": "clockwise: 90, 180 or 270"}
    )


class MergeSchema(Schema):
    other_id = fields.Integer(
        required=True,
        strict=True,
        validate=ID_RANGE,
        metadata={"description": "inbox document whose pages are appended; it is superseded"},
    )


class EditResultSchema(Schema):
    document = fields.Nested(DocumentSchema)
    created = fields.Nested(DocumentSchema, allow_none=True)


@bp.route("/documents/<int:document_id>/split")
class Split(MethodView):
    @bp.arguments(SplitSchema)
    @bp.response(200, EditResultSchema)
    def post(self, data: dict[str, Any], document_id: int) -> EditResult:
        """Split an inbox document: pages from ``at_page`` on become a new inbox document."""
        return document_edits.split_at(
            service_context(), current_actor(), document_id, data["at_page"]
        )


@bp.route("/documents/<int:document_id>/rotate")
class Rotate(MethodView):
    @bp.arguments(RotateSchema)
    @bp.response(200, EditResultSchema)
    def post(self, data: dict[str, Any], document_id: int) -> EditResult:
        """Turn pages of an inbox document; the result is a new version, processed again."""
        return document_edits.rotate(
            service_context(), current_actor(), document_id, data["pages"], data["degrees"]
        )


@bp.route("/documents/<int:document_id>/merge")
class Merge(MethodView):
    @bp.arguments(MergeSchema)
    @bp.response(200, EditResultSchema)
    def post(self, data: dict[str, Any], document_id: int) -> EditResult:
        """Append another inbox document's pages to this one as a new version."""
        return document_edits.merge(
            service_context(), current_actor(), document_id, data["other_id"]
        )
