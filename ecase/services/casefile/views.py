"""Read models handed to the entry points: plain frozen data, safe to use after commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ecase.models import CaseFile, Document, Person


@dataclass(frozen=True, slots=True)
class AliasView:
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class PersonView:
    id: int
    family_name: str
    given_names: str
    birth_date: date | None
    nationality: str | None
    azr_number: str | None
    aliases: tuple[AliasView, ...]
    created_at: datetime

    @classmethod
    def of(cls, person: Person) -> PersonView:
        return cls(
            id=person.id,
            family_name=person.family_name,
            given_names=person.given_names,
            birth_date=person.birth_date,
            nationality=person.nationality,
            azr_number=person.azr_number,
            aliases=tuple(AliasView(a.name, a.kind) for a in person.aliases),
            created_at=person.created_at,
        )

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_names}" if self.given_names else self.family_name


@dataclass(frozen=True, slots=True)
class CreatedPersonView(PersonView):
    """A newly registered person with the persons it may duplicate (same birth date, and the
    names match); the office decides, registration is never refused for it."""

    possible_duplicates: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonMatch:
    """One hit of the person search: why it matched and how well (``score`` in 0..1)."""

    person: PersonView
    score: float
    reasons: tuple[str, ...]
    possible_duplicate_of: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: int
    case_id: int | None
    title: str
    doc_type: str
    received_on: date
    source: str
    status: str
    status_reason: str | None
    page_count: int | None
    sha256: str
    size: int
    media_type: str
    original_filename: str
    version: int
    created_at: datetime

    @classmethod
    def of(cls, document: Document) -> DocumentView:
        version = document.current_version
        return cls(
            id=document.id,
            case_id=document.case_id,
            title=document.title,
            doc_type=document.doc_type,
            received_on=document.received_on,
            source=str(document.source),
            status=str(document.status),
            status_reason=document.status_reason,
            page_count=document.page_count,
            sha256=version.sha256,
            size=version.size,
            media_type=version.media_type,
            original_filename=version.original_filename,
            version=version.number,
            created_at=document.created_at,
        )


@dataclass(frozen=True, slots=True)
class CaseView:
    id: int
    reference: str
    person: PersonView
    subject: str
    file_plan: str
    team: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    documents: tuple[DocumentView, ...] = ()

    @classmethod
    def of(cls, case: CaseFile, documents: tuple[DocumentView, ...] = ()) -> CaseView:
        return cls(
            id=case.id,
            reference=case.reference,
            person=PersonView.of(case.person),
            subject=case.subject,
            file_plan=case.file_plan.code,
            team=case.team.name if case.team else None,
            status=str(case.status),
            created_at=case.created_at,
            updated_at=case.updated_at,
            documents=documents,
        )

    @property
    def person_id(self) -> int:
        return self.person.id


@dataclass(frozen=True, slots=True)
class ContentView:
    """An original's bytes as a verified stream, with what a download response needs."""

    document_id: int
    sha256: str
    size: int
    media_type: str
    filename: str


@dataclass(frozen=True, slots=True)
class PageTextView:
    number: int
    text: str
    source: str
    rotation: int
    confidence: float | None
