"""Small pieces the workspace pages share: form errors, document grouping, viewer links."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask import flash, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from ecase.domain.errors import EcaseError
from ecase.http.i18n import localised
from ecase.services.casefile.cases import MemberView
from ecase.services.casefile.views import DocumentView


def field_errors(form: FlaskForm, error: EcaseError) -> None:
    """Show a service's refusal next to the field it names, or above the form otherwise."""
    field = form._fields.get(error.field or "")
    if field is not None:
        field.errors = [*field.errors, localised(error.message)]
    else:
        flash(localised(error.message), "error")


def assignee_choices(members: Iterable[MemberView]) -> list[tuple[str, str]]:
    return [("", _("nobody")), *((m.username, f"{m.display_name} ({m.username})") for m in members)]


def group_documents(
    documents: Sequence[DocumentView], order: str
) -> list[tuple[str, list[DocumentView]]]:
    """By type: one group per document type in alphabetical order, each oldest first.
    By date: one group, newest first, as the file grew."""
    if order != "type":
        return [("", sorted(documents, key=lambda d: (d.received_on, d.id), reverse=True))]
    groups: dict[str, list[DocumentView]] = {}
    for document in documents:
        groups.setdefault(document.doc_type, []).append(document)
    # Documents without a type come last, under their own heading.
    keys = sorted(groups, key=lambda key: (key == "", key.casefold()))
    return [(key or _("Without document type"), groups[key]) for key in keys]


def document_href(document_id: int, query: str | None = None) -> str:
    """The document viewer, with the search words to highlight when there are any."""
    if query:
        return url_for("viewer.document", document_id=document_id, q=query)
    return url_for("viewer.document", document_id=document_id)
