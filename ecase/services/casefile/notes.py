"""Aktenvermerke: notes added to a case file by those who work it, never edited or removed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.enums import CaseStatus
from ecase.domain.errors import ConflictError, InvalidInputError, NotFoundError
from ecase.domain.messages import N_
from ecase.models import CaseFile, CaseNote
from ecase.services.access import audit
from ecase.services.access.policy import deny, facts, read_flags
from ecase.services.context import Context

MAX_NOTE = 10_000
MAX_LISTED = 500


@dataclass(frozen=True, slots=True)
class NoteView:
    id: int
    case_id: int
    author: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, note: CaseNote) -> NoteView:
        author = note.author.display_name or note.author.username
        return cls(note.id, note.case_id, author, note.body, note.created_at)


def clean_body(body: str) -> str:
    """Line breaks are kept (a note is a short letter); trailing blanks and empty notes are not."""
    text = "\n".join(line.rstrip() for line in body.replace("\r\n", "\n").split("\n")).strip()
    if not text:
        raise InvalidInputError(N_("A note needs some text."), field="body")
    if len(text) > MAX_NOTE:
        raise InvalidInputError(N_("The note is too long (10,000 characters)."), field="body")
    return text


def notes_of(session: Session, case_id: int) -> list[NoteView]:
    """Newest first, with their authors in the same query."""
    notes = session.execute(
        select(CaseNote)
        .where(CaseNote.case_id == case_id)
        .options(joinedload(CaseNote.author))
        .order_by(CaseNote.created_at.desc(), CaseNote.id.desc())
        .limit(MAX_LISTED)
    ).scalars()
    return [NoteView.of(n) for n in notes]


def _subject(case: CaseFile) -> audit.Subject:
    return audit.Subject("case", case.id, case.id, case.person_id)


def add_note(ctx: Context, actor: Actor, case_id: int, body: str) -> NoteView:
    text = clean_body(body)
    with ctx.uow() as uow:
        session = uow.session
        case = session.get(CaseFile, case_id)
        if case is None:
            raise NotFoundError(N_("Not found."))
        case_facts = facts(session, actor, case)
        if not policy.can_write_notes(actor, case_facts):
            deny(uow, actor, "note.add", _subject(case))
        if case.status is not CaseStatus.OPEN:
            raise ConflictError(N_("The case file is closed (zdA); notes cannot be added."))
        note = CaseNote(case_id=case.id, author_id=actor.user_id, body=text)
        session.add(note)
        session.flush()
        audit.record(session, actor, "note.add", _subject(case))
        session.refresh(note, ["author"])
        view = NoteView.of(note)
        uow.commit()
    return view


def list_notes(ctx: Context, actor: Actor, case_id: int) -> list[NoteView]:
    with ctx.uow() as uow:
        session = uow.session
        case = session.get(CaseFile, case_id)
        if case is None:
            raise NotFoundError(N_("Not found."))
        case_facts = facts(session, actor, case)
        if not policy.can_read_notes(actor, case_facts):
            deny(uow, actor, "note.list", _subject(case))
        views = notes_of(session, case.id)
        audit.record(session, actor, "note.list", _subject(case), **read_flags(actor, case_facts))
        uow.commit()
    return views
