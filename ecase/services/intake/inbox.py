"""The Posteingang: documents not yet filed, with ranked suggestions of case files, and filing.

Suggestions come from the document's own text: an Aktenzeichen, an AZR number, or a
person's family name together with their birth date. They only name files (id and
Aktenzeichen) and say why, so a clerk can file mail without reading anyone's file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from ecase.domain import names, policy
from ecase.domain.actor import Actor
from ecase.domain.enums import CaseStatus, DocumentStatus, PipelineStep
from ecase.domain.errors import ConflictError, InvalidInputError, NotFoundError
from ecase.domain.messages import N_
from ecase.models import CaseFile, Document, DocumentPage, Person
from ecase.services.access import audit
from ecase.services.access.policy import deny
from ecase.services.casefile.views import DocumentView
from ecase.services.context import Context

MERGED_INTO = N_("The document was merged into document %(document)s; please file that one.")
NO_SUCH_REFERENCE = N_("There is no case file with Aktenzeichen %(reference)s.")

MAX_INBOX = 200
MAX_SUGGESTIONS = 5
MAX_REFERENCE = 60
DATE_RE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
AZR_RE = re.compile(r"\b\d{9,12}\b")


@dataclass(frozen=True, slots=True)
class Suggestion:
    case_id: int
    reference: str
    reason: str
    weight: int


@dataclass(frozen=True, slots=True)
class InboxPage:
    """A page as the inbox lays it out: its thumbnail may not be rendered yet."""

    number: int
    has_thumb: bool
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class InboxItem:
    document: DocumentView
    suggestions: tuple[Suggestion, ...]
    text: str = ""
    pages: tuple[InboxPage, ...] = ()
    intake_warning: str | None = None
    duplicate_of_id: int | None = None
    scan_batch_id: int | None = None


def _text(session: Session, document: Document) -> str:
    pages = session.execute(
        select(DocumentPage.text)
        .where(DocumentPage.version_id == document.current_version.id)
        .order_by(DocumentPage.number)
    ).scalars()
    return "\n".join(pages)


def _dates(text: str) -> set[date]:
    found = set()
    for day, month, year in DATE_RE.findall(text):
        try:
            found.add(date(int(year), int(month), int(day)))
        except ValueError:
            continue
    return found


def suggest(ctx: Context, session: Session, text: str) -> list[Suggestion]:
    """Open case files the text points to, strongest evidence first."""
    found: dict[int, Suggestion] = {}

    def add(case: CaseFile, reason: str, weight: int) -> None:
        current = found.get(case.id)
        if case.status is CaseStatus.OPEN and (current is None or current.weight < weight):
            found[case.id] = Suggestion(case.id, case.reference, reason, weight)

    references = ctx.scheme.find_in_text(text)
    if references:
        for case in session.execute(
            select(CaseFile).where(CaseFile.reference.in_(references))
        ).scalars():
            add(case, f"Aktenzeichen {case.reference} im Text", 3)
    azr_numbers = set(AZR_RE.findall(text))
    if azr_numbers:
        for case in session.execute(
            select(CaseFile).join(Person).where(Person.azr_number.in_(azr_numbers))
        ).scalars():
            add(case, "AZR-Nummer im Text", 2)
    birth_dates = _dates(text)
    if birth_dates:
        folded = f" {names.search_key(text)} "
        persons = session.execute(
            select(Person)
            .where(Person.birth_date.in_(birth_dates))
            .options(selectinload(Person.aliases))
        ).scalars()
        for person in persons:
            spellings = [person.family_name, *(alias.name for alias in person.aliases)]
            if any(f" {names.search_key(s)} " in folded for s in spellings if s.strip()):
                for case in session.execute(
                    select(CaseFile).where(CaseFile.person_id == person.id)
                ).scalars():
                    add(case, "Name und Geburtsdatum im Text", 1)
    return sorted(found.values(), key=lambda s: (-s.weight, s.reference))[:MAX_SUGGESTIONS]


def _pages(session: Session, document: Document) -> tuple[InboxPage, ...]:
    rows = session.execute(
        select(
            DocumentPage.number, DocumentPage.thumb_sha256, DocumentPage.width, DocumentPage.height
        )
        .where(DocumentPage.version_id == document.current_version.id)
        .order_by(DocumentPage.number)
    )
    return tuple(InboxPage(n, thumb is not None, w, h) for n, thumb, w, h in rows)


def _item(ctx: Context, session: Session, document: Document) -> InboxItem:
    text = _text(session, document)
    return InboxItem(
        DocumentView.of(document),
        tuple(suggest(ctx, session, text)),
        text=text,
        pages=_pages(session, document),
        intake_warning=document.intake_warning,
        duplicate_of_id=document.duplicate_of_id,
        scan_batch_id=document.scan_batch_id,
    )


def count_inbox(ctx: Context, actor: Actor) -> int:
    """How many documents wait to be filed (for the navigation); names nothing, so not logged."""
    if not policy.can_use_inbox(actor):
        return 0
    with ctx.uow() as uow:
        return int(
            uow.session.execute(
                select(func.count())
                .select_from(Document)
                .where(Document.case_id.is_(None), Document.superseded_by_id.is_(None))
            ).scalar_one()
        )


def list_inbox(ctx: Context, actor: Actor) -> list[InboxItem]:
    with ctx.uow() as uow:
        session = uow.session
        if not policy.can_use_inbox(actor):
            deny(uow, actor, "inbox.view", audit.Subject("inbox"))
        documents = list(
            session.execute(
                select(Document)
                .where(Document.case_id.is_(None), Document.superseded_by_id.is_(None))
                .options(selectinload(Document.versions))
                .order_by(Document.created_at, Document.id)
                .limit(MAX_INBOX)
            ).scalars()
        )
        items = [_item(ctx, session, d) for d in documents]
        audit.record(
            session, actor, "inbox.view", audit.Subject("inbox"), reason=f"{len(items)} documents"
        )
        uow.commit()
    return items


def assign_document(ctx: Context, actor: Actor, document_id: int, case_id: int) -> DocumentView:
    """File an inbox document into an open case file; the search index follows."""
    with ctx.uow() as uow:
        session = uow.session
        document = session.execute(
            select(Document)
            .where(Document.id == document_id)
            .options(selectinload(Document.versions))
        ).scalar()
        if document is None:
            raise NotFoundError(N_("Not found."))
        subject = audit.Subject("document", document.id, case_id, None, document.id)
        if not policy.can_use_inbox(actor):
            deny(uow, actor, "document.assign", subject)
        if document.case_id is not None:
            raise ConflictError(N_("The document is already filed."))
        if document.superseded_by_id is not None:
            raise ConflictError(MERGED_INTO % {"document": document.superseded_by_id})
        case = session.get(CaseFile, case_id)
        if case is None:
            raise NotFoundError(N_("There is no such case file."), field="case_id")
        if case.status is not CaseStatus.OPEN:
            raise ConflictError(N_("The case file is closed (zdA); documents cannot be added."))
        document.case_id = case.id
        reindex = document.step == PipelineStep.DONE
        if reindex:
            # The index holds the document's file and team: it must learn the new ones.
            session.execute(
                update(Document)
                .where(Document.id == document.id)
                .values(step=PipelineStep.INDEX, status=DocumentStatus.PROCESSING)
            )
        audit.record(
            session,
            actor,
            "document.assign",
            audit.Subject("document", document.id, case.id, case.person_id, document.id),
        )
        session.flush()
        session.refresh(document)
        view = DocumentView.of(document)
        uow.after_commit(lambda: ctx.dispatch_document(document.id))
        uow.commit()
    return view


def assign_by_reference(
    ctx: Context, actor: Actor, document_id: int, reference: str
) -> DocumentView:
    """File into the case file a clerk typed by its Aktenzeichen (any common spelling)."""
    with ctx.uow() as uow:
        if not policy.can_use_inbox(actor):
            deny(uow, actor, "document.assign", audit.Subject("document", document_id))
        if not reference.strip() or len(reference) > MAX_REFERENCE:
            raise InvalidInputError(N_("Please type an Aktenzeichen."), field="reference")
        normalised = ctx.scheme.normalise(reference)
        case_id = uow.session.execute(
            select(CaseFile.id).where(CaseFile.reference == normalised)
        ).scalar()
    if case_id is None:
        raise NotFoundError(NO_SUCH_REFERENCE % {"reference": normalised}, field="reference")
    return assign_document(ctx, actor, document_id, case_id)


def require_scan_desk(ctx: Context, actor: Actor) -> None:
    """Refuse (404, logged) the upload page to those who may not scan, before it is shown."""
    if not policy.can_scan(actor):
        with ctx.uow() as uow:
            deny(uow, actor, "scan.ingest", audit.Subject("scan_batch"))
