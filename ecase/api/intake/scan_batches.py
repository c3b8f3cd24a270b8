"""/api/v1/scan-batches: scanned batches, their split into documents and their protocol."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ecase.api.schemas import (
    QualityCheckSchema,
    ScanBatchArgsSchema,
    ScanBatchListSchema,
    ScanBatchSchema,
)
from ecase.domain.errors import InvalidInputError
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.services.intake import hotfolder, scanning
from ecase.services.intake.scanning import BatchView

bp = Blueprint(
    "scan_batches", __name__, url_prefix="/api/v1/scan-batches", description="Scan batches"
)

BATCH_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "PDF or (multi-page) TIFF, PNG, JPEG from the scanner",
                    },
                    "profile": {
                        "type": "string",
                        "maxLength": 60,
                        "description": "a scanner profile of scanner-profiles.toml",
                    },
                },
            }
        }
    },
}


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("")
class ScanBatches(MethodView):
    @bp.arguments(ScanBatchArgsSchema, location="query")
    @bp.response(200, ScanBatchListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, list[BatchView]]:
        """The newest batches first, with their documents and split decisions."""
        batches = scanning.list_batches(service_context(), current_actor(), limit=args["limit"])
        return {"batches": batches}

    @bp.doc(requestBody=BATCH_UPLOAD_BODY)
    @bp.response(202, ScanBatchSchema)
    def post(self) -> BatchView:
        """Take in a scanned batch; it is split at its separator sheets in the background."""
        actor = current_actor()
        ctx = service_context()
        file = request.files.get("file")
        if file is None:
            raise InvalidInputError(
                "Please attach the scanned batch as the form field 'file'.", field="file"
            )
        profile = hotfolder.find_profile(ctx, request.form.get("profile"))
        return scanning.ingest_file(
            ctx, actor, file.stream, file.filename or "", channel="upload", profile=profile
        )


@bp.route("/<int:batch_id>")
class ScanBatchItem(MethodView):
    @bp.response(200, ScanBatchSchema)
    def get(self, batch_id: int) -> BatchView:
        """One batch and its protocol: source hash, pages, documents with their hashes."""
        return scanning.get_batch(service_context(), current_actor(), batch_id)


@bp.route("/<int:batch_id>/quality-check")
class ScanBatchQualityCheck(MethodView):
    @bp.arguments(QualityCheckSchema)
    @bp.response(200, ScanBatchSchema)
    def post(self, data: dict[str, Any], batch_id: int) -> BatchView:
        """Record the visual check of the batch (sampled or complete), with a note."""
        return scanning.confirm_quality_check(
            service_context(), current_actor(), batch_id, data["mode"], data["note"]
        )


@bp.route("/<int:batch_id>/protocol.csv")
class ScanBatchProtocolCsv(MethodView):
    @bp.response(200, description="The scan protocol as CSV (UTF-8 with BOM, ';')")
    def get(self, batch_id: int) -> Response:
        """The scan protocol for spreadsheets; the export is logged."""
        data = scanning.protocol_csv(service_context(), current_actor(), batch_id)
        return _download(data, "text/csv; charset=utf-8", f"scanprotokoll-{batch_id}.csv")


@bp.route("/<int:batch_id>/protocol.pdf")
class ScanBatchProtocolPdf(MethodView):
    @bp.response(200, description="The scan protocol as an A4 PDF")
    def get(self, batch_id: int) -> Response:
        """The scan protocol as a printable document; the export is logged."""
        data = scanning.protocol_pdf(service_context(), current_actor(), batch_id)
        return _download(data, "application/pdf", f"scanprotokoll-{batch_id}.pdf")
