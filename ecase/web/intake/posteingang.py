"""The clerks' Posteingang pages: inbox, edits before filing, upload, scan protocol, sheets.

Every form posts with the session's CSRF token (checked app-wide); refusals a clerk can act
on come back as a message on the page they came from, while objects the caller may not
see stay a plain 404 (raised, not flashed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from ecase.domain.errors import (
    EcaseError,
    InvalidInputError,
    NotFoundError,
    ServiceUnavailableError,
)
from ecase.http.auth import current_actor, session_user
from ecase.http.context import service_context
from ecase.http.errors import STATUS_FOR
from ecase.http.i18n import localised
from ecase.services.intake import document_edits, inbox, scanning, sheets

bp = Blueprint("posteingang", __name__)

MAX_FIELD = 200
PAGE_RANGE_RE = re.compile(r"^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$")
MAX_ROTATE_PAGES = 2000
MAX_NOTE = 2000


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    def inbox_count() -> int:
        user = session_user()
        if user is None:
            return 0
        try:
            return inbox.count_inbox(service_context(), user.actor)
        except ServiceUnavailableError:
            return 0

    return {"inbox_count": inbox_count}


# ------------------------------------------------------------------------------ parsing


def _text(name: str) -> str:
    value = request.form.get(name, "")
    if len(value) > MAX_FIELD:
        raise InvalidInputError(_("The entry is too long."), field=name)
    return value.strip()


def _number(name: str, message: str) -> int:
    value = _text(name)
    if not value.isdigit() or len(value) > 18:  # fits a 64-bit id
        raise InvalidInputError(message, field=name)
    return int(value)


def parse_pages(text: str) -> list[int]:
    """Page lists as people type them: ``1, 3-5`` (ranges inclusive, order irrelevant)."""
    pages: set[int] = set()
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        match = PAGE_RANGE_RE.match(part)
        if not match:
            raise InvalidInputError(_("Please give page numbers like “1, 3-5”."), field="pages")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first or last - first >= MAX_ROTATE_PAGES:
            raise InvalidInputError(_("The page range %(part)s is not valid.", part=part.strip()))
        pages.update(range(first, last + 1))
    if not pages:
        raise InvalidInputError(_("Please choose the pages to turn."), field="pages")
    return sorted(pages)


def _act(action: Callable[[], str], anchor: str = "") -> BaseResponse:
    """Run a form's use case; a refusal the clerk can act on is shown on the inbox page."""
    try:
        flash(action(), "info")
    except NotFoundError as exc:
        if exc.field is None:  # the object is missing or hidden: the same 404 as elsewhere
            raise
        flash(localised(exc.message), "error")
    except ServiceUnavailableError:
        raise
    except EcaseError as exc:
        flash(localised(exc.message), "error")
    return redirect(url_for("posteingang.inbox_page") + (f"#{anchor}" if anchor else ""))


# ------------------------------------------------------------------------------- inbox


@bp.route("/inbox")
def inbox_page() -> str:
    items = inbox.list_inbox(service_context(), current_actor())
    return render_template(
        "inbox.html",
        items=items,
        thumbs="viewer.page_thumb" in _views(),
        viewer="viewer.document" in _views(),
    )


def _views() -> set[str]:
    return set(current_app.view_functions)


@bp.route("/inbox/<int:document_id>/file", methods=["POST"])
def file_document(document_id: int) -> BaseResponse:
    actor, ctx = current_actor(), service_context()

    def run() -> str:
        if request.form.get("case_id"):
            case_id = _number("case_id", _("Please choose a case file."))
            inbox.assign_document(ctx, actor, document_id, case_id)
        else:
            reference = _text("reference")
            if not reference:
                raise InvalidInputError(
                    _("Please type the Aktenzeichen to file into."), field="reference"
                )
            inbox.assign_by_reference(ctx, actor, document_id, reference)
        return str(_("The document was filed."))

    return _act(run)


@bp.route("/inbox/<int:document_id>/split", methods=["POST"])
def split(document_id: int) -> BaseResponse:
    actor, ctx = current_actor(), service_context()

    def run() -> str:
        at_page = _number("at_page", _("Please give the page the new document starts with."))
        result = document_edits.split_at(ctx, actor, document_id, at_page)
        new_id = result.created.id if result.created else "?"
        return str(
            _(
                "The document was split; pages from %(page)s on are now document %(id)s.",
                page=at_page,
                id=new_id,
            )
        )

    return _act(run, f"doc-{document_id}")


@bp.route("/inbox/<int:document_id>/rotate", methods=["POST"])
def rotate(document_id: int) -> BaseResponse:
    actor, ctx = current_actor(), service_context()

    def run() -> str:
        pages = parse_pages(_text("pages"))
        degrees = _number("degrees", _("Please choose how far to turn the pages."))
        document_edits.rotate(ctx, actor, document_id, pages, degrees)
        return str(_("The pages were turned; the document is being processed again."))

    return _act(run, f"doc-{document_id}")


@bp.route("/inbox/<int:document_id>/merge", methods=["POST"])
def merge(document_id: int) -> BaseResponse:
    actor, ctx = current_actor(), service_context()

    def run() -> str:
        other_id = _number("other_id", _("Please choose the document to append."))
        document_edits.merge(ctx, actor, document_id, other_id)
        message = _(
            "Document %(other)s was appended to document %(id)s.", other=other_id, id=document_id
        )
        return str(message)

    return _act(run, f"doc-{document_id}")


# ------------------------------------------------------------------------------ sheets


@bp.route("/sheets.pdf")
def sheets_pdf() -> Response:
    """Printable separator sheets: for one case file (``case=<id>``) or generic ones."""
    case_arg = request.args.get("case", "")
    count_arg = request.args.get("count", "1")
    if case_arg and (not case_arg.isdigit() or len(case_arg) > 18):
        raise NotFoundError("Not found.")
    if not count_arg.isdigit() or len(count_arg) > 3:
        raise InvalidInputError(_("The number of sheets must be a whole number."), field="count")
    case_id = int(case_arg) if case_arg else None
    pdf = sheets.sheets_pdf(service_context(), current_actor(), case_id, int(count_arg))
    name = f"trennblatt-akte-{case_id}.pdf" if case_id else "trennblaetter.pdf"
    return _download(pdf, "application/pdf", name)


def _json_error(exc: EcaseError) -> Response:
    """An upload refusal for the script on the upload page, with the message to show."""
    status = next((code for cls, code in STATUS_FOR.items() if isinstance(exc, cls)), 400)
    response = jsonify({"ok": False, "message": localised(exc.message), "field": exc.field})
    response.status_code = status
    return response


# ------------------------------------------------------------------------------ upload


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or (
        request.accept_mimetypes.best == "application/json"
    )


@bp.route("/inbox/upload", methods=["GET", "POST"])
def upload() -> str | BaseResponse:
    """The drop zone page; the script posts one file per request, a plain form several."""
    actor = current_actor()
    inbox.require_scan_desk(service_context(), actor)
    if request.method == "GET":
        return render_template("upload.html")
    files = [f for f in request.files.getlist("file") if f.filename or f.content_length]
    if _wants_json():
        if len(files) != 1:
            return _json_error(InvalidInputError(_("Please send exactly one file."), field="file"))
        file = files[0]
        try:
            batch = scanning.ingest_file(
                service_context(), actor, file.stream, file.filename or "", channel="upload"
            )
        except EcaseError as exc:  # refused, or storage down: the script shows the message
            return _json_error(exc)
        response = jsonify(
            {
                "ok": True,
                "batch_id": batch.id,
                "url": url_for("posteingang.batch", batch_id=batch.id),
                "message": _("Received as scan batch %(id)s.", id=batch.id),
            }
        )
        response.status_code = 202
        return response
    if not files:
        flash(_("Please choose at least one file."), "error")
    for file in files:
        name = file.filename or "?"
        try:
            batch = scanning.ingest_file(
                service_context(), actor, file.stream, file.filename or "", channel="upload"
            )
        except NotFoundError:
            raise
        except EcaseError as exc:
            flash(_("%(name)s: %(message)s", name=name, message=localised(exc.message)), "error")
        else:
            flash(_("%(name)s: received as scan batch %(id)s.", name=name, id=batch.id), "info")
    return redirect(url_for("posteingang.upload"))


# ------------------------------------------------------------------------ scan protocol


@bp.route("/scan-batches")
def batches() -> str:
    items = scanning.list_batches(service_context(), current_actor(), limit=100)
    return render_template("scan_batches.html", batches=items)


@bp.route("/scan-batches/<int:batch_id>", methods=["GET", "POST"])
def batch(batch_id: int) -> str | BaseResponse:
    """The protocol of one batch; its form records the quality check (Sichtkontrolle)."""
    actor, ctx = current_actor(), service_context()
    if request.method == "POST":
        try:
            if len(request.form.get("note", "")) > MAX_NOTE:
                raise InvalidInputError(_("The note is too long (2000 characters)."), field="note")
            scanning.confirm_quality_check(
                ctx, actor, batch_id, _text("mode"), request.form.get("note", "")
            )
        except (NotFoundError, ServiceUnavailableError):
            raise
        except EcaseError as exc:
            flash(localised(exc.message), "error")
        else:
            flash(_("The quality check was recorded."), "info")
        return redirect(url_for("posteingang.batch", batch_id=batch_id))
    return render_template("scan_batch.html", batch=scanning.get_batch(ctx, actor, batch_id))


@bp.route("/scan-batches/<int:batch_id>/protocol.csv")
def protocol_csv(batch_id: int) -> Response:
    data = scanning.protocol_csv(service_context(), current_actor(), batch_id)
    return _download(data, "text/csv; charset=utf-8", f"scanprotokoll-{batch_id}.csv")


@bp.route("/scan-batches/<int:batch_id>/protocol.pdf")
def protocol_pdf(batch_id: int) -> Response:
    data = scanning.protocol_pdf(service_context(), current_actor(), batch_id)
    return _download(data, "application/pdf", f"scanprotokoll-{batch_id}.pdf")


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
