"""The case page with its upload, Aktenvermerke and edits, the document edit page and the
original's download: parse, authorise via the service, render."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from ecase.domain.enums import DocumentSource
from ecase.domain.errors import (
    EcaseError,
    InvalidInputError,
    NotFoundError,
    ServiceUnavailableError,
)
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.http.downloads import attachment_response
from ecase.http.i18n import localised
from ecase.services.casefile import cases, documents, notes, workspace
from ecase.web.forms import (
    CaseEditForm,
    DocumentEditForm,
    NoteForm,
    UploadForm,
)
from ecase.web.helpers import (
    assignee_choices,
    document_href,
    field_errors,
    group_documents,
)

bp = Blueprint("case_pages", __name__)
# The newest documents a case page shows at first; the rest is behind "show all".
DOCUMENTS_SHOWN = 100
bp.add_app_template_global(document_href)


ORDERS = ("date", "type")


def _case_page(
    case_id: int,
    *,
    upload: UploadForm | None = None,
    note: NoteForm | None = None,
    edit: CaseEditForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """Render the case page; forms handed in keep what the user typed and their errors."""
    actor = current_actor()
    show_all = request.args.get("all") == "1"
    limit = None if show_all else DOCUMENTS_SHOWN
    page = workspace.open_case_file(service_context(), actor, case_id, document_limit=limit)
    order = request.args.get("order", "date")
    if order not in ORDERS:
        order = "date"
    if edit is None:
        edit = CaseEditForm(
            formdata=None, subject=page.case.subject, assignee=page.assignee_username or ""
        )
    edit.assignee.choices = assignee_choices(page.members)
    html = render_template(
        "case.html",
        page=page,
        case=page.case,
        order=order,
        show_all=show_all,
        groups=group_documents(page.case.documents, order),
        form=upload or UploadForm(),
        note_form=note or NoteForm(formdata=None),
        edit_form=edit,
    )
    return html, status


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
def case(case_id: int) -> str | BaseResponse | tuple[str, int]:
    actor = current_actor()
    ctx = service_context()
    form = UploadForm()
    if form.validate_on_submit():
        upload = documents.Upload(
            stream=form.file.data.stream,
            filename=form.file.data.filename or "",
            title=form.title.data,
            doc_type=form.doc_type.data,
            source=DocumentSource.UPLOAD,
        )
        try:
            documents.add_document(ctx, actor, case_id, upload)
        except (NotFoundError, ServiceUnavailableError):
            raise
        except EcaseError as exc:
            flash(localised(exc.message), "error")
        else:
            flash(_("The document was received and is being processed."), "info")
            return redirect(url_for("case_pages.case", case_id=case_id))
    return _case_page(case_id, upload=form)


@bp.route("/cases/<int:case_id>/notes", methods=["POST"])
def add_note(case_id: int) -> BaseResponse | tuple[str, int]:
    form = NoteForm()
    if form.validate_on_submit():
        try:
            notes.add_note(service_context(), current_actor(), case_id, form.body.data)
        except InvalidInputError as exc:
            form.body.errors = [localised(exc.message)]
        else:
            flash(_("The note was added to the file."), "info")
            return redirect(url_for("case_pages.case", case_id=case_id, _anchor="notes"))
    return _case_page(case_id, note=form, status=400)


@bp.route("/cases/<int:case_id>/edit", methods=["POST"])
def edit_case(case_id: int) -> BaseResponse | tuple[str, int]:
    form = CaseEditForm()
    if form.validate_on_submit():
        # A form without the assignee field leaves the assignee alone; an empty choice removes.
        assignee = (form.assignee.data or "") if "assignee" in request.form else None
        changes = cases.CaseChanges(subject=form.subject.data, assignee=assignee)
        try:
            cases.update_case(service_context(), current_actor(), case_id, changes)
        except InvalidInputError as exc:
            field_errors(form, exc)
        else:
            flash(_("The case file was updated."), "info")
            return redirect(url_for("case_pages.case", case_id=case_id))
    return _case_page(case_id, edit=form, status=400)


@bp.route("/documents/<int:document_id>/edit", methods=["GET", "POST"])
def edit_document(document_id: int) -> str | BaseResponse | tuple[str, int]:
    actor = current_actor()
    ctx = service_context()
    document = workspace.editable_document(ctx, actor, document_id)
    form = DocumentEditForm(
        title=document.title, doc_type=document.doc_type, received_on=document.received_on
    )
    if form.validate_on_submit():
        changes = documents.DocumentChanges(
            title=form.title.data,
            doc_type=form.doc_type.data or "",
            received_on=form.received_on.data,
        )
        try:
            documents.update_document(ctx, actor, document_id, changes)
        except InvalidInputError as exc:
            field_errors(form, exc)
        else:
            flash(_("The document was updated."), "info")
            if document.case_id is None:
                return redirect(url_for("posteingang.inbox_page"))
            return redirect(url_for("case_pages.case", case_id=document.case_id))
    status = 400 if request.method == "POST" else 200
    return render_template("document_edit.html", document=document, form=form), status


@bp.route("/documents/<int:document_id>/original")
def original(document_id: int) -> Response:
    content, stream = documents.open_content(service_context(), current_actor(), document_id)
    return attachment_response(content, stream)
