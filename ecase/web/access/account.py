"""Signing in and the own account: password, second factor, logout."""

from __future__ import annotations

from urllib.parse import urlsplit

import segno
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from ecase.domain.errors import (
    AuthenticationError,
    InvalidInputError,
)
from ecase.http.auth import SessionUser, client_address, current_actor, session_user
from ecase.http.context import service_context
from ecase.http.i18n import localised
from ecase.services.access import second_factor as second_factor_service
from ecase.services.access import sessions, users
from ecase.web.forms import (
    CodeForm,
    LoginForm,
    PasswordChangeForm,
)

bp = Blueprint("account", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make our login page a phishing tool."""
    if not target:
        return url_for("workspace.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("workspace.home")
    if "\\" in target:
        return url_for("workspace.home")
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
            page = "account.second_factor" if enrolled else "account.enrol_second_factor"
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
        return redirect(url_for("account.enrol_second_factor", next=request.args.get("next")))
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
        return redirect(url_for("workspace.home"))
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
            return redirect(url_for("account.login"))
    return render_template("password.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    user = session_user()
    if user is not None and user.session_id:
        sessions.end_session(service_context(), user.session_id)
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("account.login"))
