"""Oversight pages for supervisors and the data protection officer: log, unusual access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from ecase.domain import policy
from ecase.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.http.i18n import localised
from ecase.services.access import audit_log, break_glass
from ecase.web.forms import BreakGlassForm, ReviewForm
from ecase.web.helpers import field_errors

bp = Blueprint("oversight", __name__)
OFFICE_TZ = ZoneInfo("Europe/Berlin")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInputError(f"'{name}' must be a number.", field=name)
    return int(value)


def _date_arg(name: str) -> datetime | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        # Dates typed by staff mean the office's calendar day, not UTC's.
        return datetime.fromisoformat(value).replace(tzinfo=OFFICE_TZ)
    except ValueError as exc:
        raise InvalidInputError(f"'{name}' must be a date (YYYY-MM-DD).", field=name) from exc


def _filter() -> audit_log.AuditFilter:
    flagged = request.args.get("flagged") == "1"
    return audit_log.AuditFilter(
        case_id=_int_arg("case"),
        person_id=_int_arg("person"),
        username=request.args.get("user") or None,
        action=request.args.get("action") or None,
        since=_date_arg("since"),
        until=_date_arg("until"),
        flagged=True if flagged else None,
        limit=200,
        offset=_int_arg("offset") or 0,
    )


@bp.route("/audit")
def audit_page() -> str:
    query = _filter()
    events = audit_log.list_events(service_context(), current_actor(), query)
    return render_template("audit.html", events=events, query=query, args=request.args)


@bp.route("/audit/export.csv")
def audit_export() -> Response:
    body = audit_log.export_csv(service_context(), current_actor(), _filter())
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="zugriffsprotokoll.csv"'
    return response


@bp.route("/audit/unusual")
def unusual() -> str:
    days = _int_arg("days") or 7
    since = datetime.now(UTC) - timedelta(days=min(days, 90))
    findings = audit_log.unusual_access(service_context(), current_actor(), since)
    return render_template("unusual.html", findings=findings, days=days)


@bp.route("/break-glass/new", methods=["GET", "POST"])
def break_glass_request() -> BaseResponse | tuple[str, int]:
    """The caseworker's way to a file of another team; the API offers the same by id."""
    actor = current_actor()
    if not policy.can_break_glass(actor):
        raise NotFoundError("Not found.")
    ctx = service_context()
    form = BreakGlassForm()
    status = 200
    if form.validate_on_submit():
        try:
            grant = break_glass.open_break_glass_by_reference(
                ctx, actor, form.reference.data, form.reason.data, form.password.data
            )
        except (ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError) as exc:
            field_errors(form, exc)
            # 403 for a wrong password: the limiter counts those, like the API's.
            status = 403 if isinstance(exc, PermissionDeniedError) else 400
        else:
            flash(_("Emergency access granted. Every access is recorded."), "info")
            return redirect(url_for("case_pages.case", case_id=grant.case_id))
    elif form.is_submitted():
        status = 400
    hours = ctx.settings.break_glass_hours
    return render_template("break_glass_new.html", form=form, hours=hours), status


@bp.route("/break-glass", methods=["GET", "POST"])
def break_glass_review() -> str | BaseResponse:
    actor = current_actor()
    ctx = service_context()
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            break_glass.review_grant(ctx, actor, int(form.grant_id.data), form.note.data or "")
        except ConflictError as exc:
            flash(localised(exc.message), "error")
        else:
            flash(_("The emergency access was signed off."), "info")
        return redirect(url_for("oversight.break_glass_review"))
    grants = break_glass.list_grants(ctx, actor, pending_only=request.args.get("all") != "1")
    return render_template("break_glass.html", grants=grants, form=form)
