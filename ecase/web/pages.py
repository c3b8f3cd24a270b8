"""Login, start page and the case page: parse, authorise via the service, render."""

from __future__ import annotations

from urllib.parse import urlsplit

import segno
from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from ecase.domain.enums import DocumentSource
from ecase.domain.errors import (
    AuthenticationError,
    EcaseError,
    InvalidInputError,
    NotFoundError,
    ServiceUnavailableError,
)
from ecase.http.auth import SessionUser, client_address, current_actor, session_user
from ecase.http.context import service_context
from ecase.http.downloads import attachment_response
from ecase.http.i18n import localised
from ecase.services.access import second_factor as second_factor_service
from ecase.services.access import sessions, users
from ecase.services.casefile import cases, documents, notes, workspace
from ecase.web.forms import (
    CaseEditForm,
    CodeForm,
    DocumentEditForm,
    LoginForm,
    NoteForm,
    PasswordChangeForm,
    UploadForm,
)
from ecase.web.helpers import (
    assignee_choices,
    document_href,
    field_errors,
    group_documents,
)

bp = Blueprint("pages", __name__)
# The newest documents a case page shows at first; the rest is behind "show all".
DOCUMENTS_SHOWN = 100
bp.add_app_template_global(document_href)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make our login page a phishing tool."""
    if not target:
        return url_for("pages.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.home")
    if "\\" in target:
        return url_for("pages.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | BaseResponse:
    form = LoginForm()
    if form.validate_on_submit():
        ctx = service_context()
        try:
            actor, enrolled = users.authenticate_password(
                ctx, form.username.data, form.password.data, client_address()
            )
        except AuthenticationError:
            flash(_("Unknown user name or wrong password."), "error")
        else:
            needs_factor = second_factor_service.required_for(ctx, actor) or enrolled
            raw = sessions.start_session(ctx, actor, second_factor_done=not needs_factor)
            session.clear()  # a fresh cookie at login: no fixation, no leftovers
            session.permanent = True  # the cookie may live as long as the server session
            login_user(SessionUser(actor, raw, not needs_factor, enrolled))
            target = _safe_next(request.args.get("next"))
            if not needs_factor:
                return redirect(target)
            page = "pages.second_factor" if enrolled else "pages.enrol_second_factor"
            return redirect(url_for(page, next=target))
    return render_template("login.html", form=form)


def _pending_user() -> SessionUser:
    user = session_user()
    if user is None or user.session_id is None:
        raise AuthenticationError("Please log in.")
    return user


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor() -> str | BaseResponse:
    user = _pending_user()
    if not user.second_factor_enrolled:
        return redirect(url_for("pages.enrol_second_factor", next=request.args.get("next")))
    form = CodeForm()
    if form.validate_on_submit():
        ctx = service_context()
        try:
            second_factor_service.verify(ctx, user.actor, form.code.data)
        except AuthenticationError:
            flash(_("The code is not valid."), "error")
        else:
            sessions.mark_second_factor_done(ctx, user.session_id or "")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("second_factor.html", form=form)


@bp.route("/account/second-factor", methods=["GET", "POST"])
def enrol_second_factor() -> str | BaseResponse:
    user = _pending_user()
    if user.second_factor_enrolled:
        return redirect(url_for("pages.home"))
    ctx = service_context()
    form = CodeForm()
    enrolment = second_factor_service.begin_enrolment(ctx, user.actor)
    if form.validate_on_submit():
        try:
            codes = second_factor_service.confirm_enrolment(ctx, user.actor, form.code.data)
        except AuthenticationError:
            flash(
                _("The code does not match. Check the time on your device and try again."), "error"
            )
        else:
            sessions.mark_second_factor_done(ctx, user.session_id or "")
            return render_template(
                "recovery_codes.html", codes=codes, next=_safe_next(request.args.get("next"))
            )
    qr = segno.make(enrolment.uri, error="m").svg_data_uri(scale=5)
    return render_template("enrol.html", form=form, secret=enrolment.secret, qr=qr)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> str | BaseResponse:
    actor = current_actor()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            users.change_password(service_context(), actor, form.current.data, form.new.data)
        except (AuthenticationError, InvalidInputError) as exc:
            flash(localised(exc.message), "error")
        else:
            logout_user()
            session.clear()
            flash(_("Your password was changed. Please log in again."), "info")
            return redirect(url_for("pages.login"))
    return render_template("password.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    user = session_user()
    if user is not None and user.session_id:
        sessions.end_session(service_context(), user.session_id)
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("pages.login"))


@bp.route("/")
def home() -> str:
    actor = current_actor()
    page = workspace.start_page(service_context(), actor)
    return render_template("home.html", actor=actor, page=page)


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
            return redirect(url_for("pages.case", case_id=case_id))
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
            return redirect(url_for("pages.case", case_id=case_id, _anchor="notes"))
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
            return redirect(url_for("pages.case", case_id=case_id))
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
            return redirect(url_for("pages.case", case_id=document.case_id))
    status = 400 if request.method == "POST" else 200
    return render_template("document_edit.html", document=document, form=form), status


@bp.route("/documents/<int:document_id>/original")
def original(document_id: int) -> Response:
    content, stream = documents.open_content(service_context(), current_actor(), document_id)
    return attachment_response(content, stream)
