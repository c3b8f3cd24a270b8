"""/api/v1/cases: open case files and read them with their documents."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ecase.api.schemas import (
    CaseCreateSchema,
    CasePatchSchema,
    CaseSchema,
    NoteCreateSchema,
    NoteListSchema,
    NoteSchema,
    UploadAcceptedSchema,
)
from ecase.domain.enums import DocumentSource
from ecase.domain.errors import InvalidInputError
from ecase.http.auth import bearer_token, current_actor
from ecase.http.context import service_context
from ecase.services.casefile import cases, documents, notes
from ecase.services.casefile.views import CaseView, DocumentView

bp = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="Case files (Akten)")

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "title": {"type": "string", "maxLength": 300},
                    "doc_type": {"type": "string", "maxLength": 60},
                },
            }
        }
    },
}


@bp.route("")
class Cases(MethodView):
    @bp.arguments(CaseCreateSchema)
    @bp.response(201, CaseSchema)
    def post(self, data: dict[str, Any]) -> CaseView:
        """Open a case file; the Aktenzeichen is generated unless one is given."""
        return cases.create_case(service_context(), current_actor(), cases.NewCase(**data))


@bp.route("/<int:case_id>")
class CaseItem(MethodView):
    @bp.response(200, CaseSchema)
    def get(self, case_id: int) -> CaseView:
        """A case file with its documents."""
        return cases.get_case(service_context(), current_actor(), case_id)

    @bp.arguments(CasePatchSchema)
    @bp.response(200, CaseSchema)
    def patch(self, data: dict[str, Any], case_id: int) -> CaseView:
        """Change the subject or the assignee (a member of the file's team)."""
        if not data:
            raise InvalidInputError("Nothing to change: give subject or assignee.")
        changes = cases.CaseChanges(
            subject=data.get("subject"),
            assignee=(data["assignee"] or "") if "assignee" in data else None,
        )
        return cases.update_case(service_context(), current_actor(), case_id, changes)


@bp.route("/<int:case_id>/notes")
class CaseNotes(MethodView):
    @bp.response(200, NoteListSchema)
    def get(self, case_id: int) -> dict[str, object]:
        """The file's notes (Aktenvermerke), newest first."""
        return {"notes": notes.list_notes(service_context(), current_actor(), case_id)}

    @bp.arguments(NoteCreateSchema)
    @bp.response(201, NoteSchema)
    def post(self, data: dict[str, Any], case_id: int) -> notes.NoteView:
        """Add a note; notes are never changed or deleted."""
        return notes.add_note(service_context(), current_actor(), case_id, data["body"])


@bp.route("/<int:case_id>/documents")
class CaseDocuments(MethodView):
    @bp.doc(requestBody=UPLOAD_BODY)
    @bp.response(202, UploadAcceptedSchema)
    def post(self, case_id: int) -> DocumentView:
        """Upload a document into the file; OCR and indexing continue in the background."""
        actor = current_actor()
        file = request.files.get("file")
        if file is None or (not file.filename and not file.content_length and file.stream is None):
            raise InvalidInputError(
                "Please attach the document as the form field 'file'.", field="file"
            )
        upload = documents.Upload(
            stream=file.stream,
            filename=file.filename or "",
            title=request.form.get("title"),
            doc_type=request.form.get("doc_type"),
            source=DocumentSource.API if bearer_token() else DocumentSource.UPLOAD,
        )
        return documents.add_document(service_context(), actor, case_id, upload)
