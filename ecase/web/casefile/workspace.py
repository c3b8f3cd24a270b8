"""The start page, person search, person page and full-text search: parse, call, render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from ecase.domain.errors import InvalidInputError
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.http.i18n import localised
from ecase.services.casefile import workspace
from ecase.services.casefile.search import SearchRequest
from ecase.services.casefile.workspace import PersonHit, SearchPage
from search import MAX_OFFSET

bp = Blueprint("workspace", __name__)

PAGE_SIZE = 20
MAX_PAGE = MAX_OFFSET // PAGE_SIZE + 1


@bp.route("/")
def home() -> str:
    actor = current_actor()
    page = workspace.start_page(service_context(), actor)
    return render_template("home.html", actor=actor, page=page)


@bp.route("/persons")
def persons() -> tuple[str, int]:
    query = request.args.get("q", "").strip()
    hits: list[PersonHit] = []
    error = None
    if query:
        try:
            hits = workspace.find_persons(service_context(), current_actor(), query)
        except InvalidInputError as exc:
            error = localised(exc.message)
    status = 400 if error else 200
    return render_template("persons.html", query=query, hits=hits, error=error), status


@bp.route("/persons/<int:person_id>")
def person(person_id: int) -> str:
    view = workspace.person_files(service_context(), current_actor(), person_id)
    return render_template("person.html", person=view.person, cases=view.cases)


@dataclass
class SearchForm:
    """The search page's query string, with an error per field the user can correct."""

    q: str = ""
    case: int | None = None
    doc_type: str = ""
    received_from: date | None = None
    received_to: date | None = None
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, args: dict[str, str]) -> SearchForm:
        form = cls(q=args.get("q", "").strip(), doc_type=args.get("doc_type", "").strip())
        case = args.get("case", "").strip()
        if case:
            if case.isdigit() and 0 < int(case) < 2**63:
                form.case = int(case)
            else:
                form.errors["case"] = _("The case file must be given by its number.")
        for name in ("received_from", "received_to"):
            text = args.get(name, "").strip()
            if not text:
                continue
            try:
                setattr(form, name, date.fromisoformat(text))
            except ValueError:
                form.errors[name] = _("Please enter the date as YYYY-MM-DD.")
        if (
            form.received_from
            and form.received_to
            and form.received_from > form.received_to
            and "received_to" not in form.errors
        ):
            form.errors["received_to"] = _("The end date lies before the start date.")
        page = args.get("page", "1").strip() or "1"
        if page.isdigit() and 1 <= int(page) <= MAX_PAGE:
            form.page = int(page)
        else:
            form.errors["page"] = _("There is no such page of results.")
        return form

    def args(self, **changes: object) -> dict[str, object]:
        """The query string of this search (for paging links), with ``changes`` applied."""
        values: dict[str, object] = {
            "q": self.q,
            "case": self.case,
            "doc_type": self.doc_type or None,
            "received_from": self.received_from.isoformat() if self.received_from else None,
            "received_to": self.received_to.isoformat() if self.received_to else None,
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


@bp.route("/search")
def search() -> tuple[str, int]:
    form = SearchForm.parse(request.args.to_dict())
    found: SearchPage | None = None
    if form.q and not form.errors:
        search_request = SearchRequest(
            text=form.q,
            case_id=form.case,
            doc_type=form.doc_type or None,
            received_from=form.received_from,
            received_to=form.received_to,
            limit=PAGE_SIZE,
            offset=(form.page - 1) * PAGE_SIZE,
        )
        try:
            found = workspace.search_files(service_context(), current_actor(), search_request)
        except InvalidInputError as exc:
            form.errors[exc.field if exc.field in {"q", "case"} else "q"] = localised(exc.message)
    pages = 0
    if found is not None:
        pages = min(MAX_PAGE, max(1, -(-found.result.total // PAGE_SIZE)))
    status = 400 if form.errors else 200
    html = render_template(
        "search.html",
        form=form,
        result=found.result if found else None,
        files=found.files if found else {},
        pages=pages,
        page_size=PAGE_SIZE,
    )
    return html, status
