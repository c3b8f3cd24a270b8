"""Login, start page and the case page: parse, authorise via the service, render."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from ecase.domain.enums import DocumentSource
from ecase.domain.errors import (
    AuthenticationError,
    EcaseError,
    NotFoundError,
    ServiceUnavailableError,
)
from ecase.http.auth import SessionUser, client_address, current_actor
from ecase.http.context import service_context
from ecase.http.downloads import attachment_response
from ecase.services import cases, documents, users
from ecase.web.forms import LoginForm, UploadForm

bp = Blueprint("pages", __name__)


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
        try:
            actor, version = users.authenticate_password(
                service_context(), form.username.data, form.password.data, client_address()
            )
        except AuthenticationError:
            flash(_("Unknown user name or wrong password."), "error")
        else:
            session.clear()  # a fresh session at login: no fixation, no leftovers
            session.permanent = True  # PERMANENT_SESSION_LIFETIME bounds it absolutely
            login_user(SessionUser(actor, version))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    logout_user()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("pages.login"))


@bp.route("/")
def home() -> str:
    actor = current_actor()
    return render_template(
        "home.html", actor=actor, cases=cases.list_cases(service_context(), actor)
    )


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
def case(case_id: int) -> str | BaseResponse:
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
            flash(exc.message, "error")
        else:
            flash(_("The document was received and is being processed."), "info")
            return redirect(url_for("pages.case", case_id=case_id))
    view = cases.get_case(ctx, actor, case_id)
    return render_template("case.html", case=view, form=form)


@bp.route("/documents/<int:document_id>/original")
def original(document_id: int) -> Response:
    content, stream = documents.open_content(service_context(), current_actor(), document_id)
    return attachment_response(content, stream)
