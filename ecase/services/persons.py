"""Registering persons and finding them again under the spellings they arrive in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ecase.domain import names, policy
from ecase.domain.actor import Actor
from ecase.domain.errors import ConflictError, InvalidInputError, NotFoundError
from ecase.models import Person, PersonAlias
from ecase.services import audit
from ecase.services.access import deny
from ecase.services.context import Context
from ecase.services.views import PersonView

NATIONALITY_RE = re.compile(r"^[A-Z]{3}$")
AZR_RE = re.compile(r"^[0-9A-Z]{6,20}$")
MAX_LIST = 100


@dataclass(frozen=True, slots=True)
class NewPerson:
    family_name: str
    given_names: str = ""
    birth_date: date | None = None
    nationality: str | None = None
    azr_number: str | None = None
    aliases: Sequence[str] = ()


def _validated(data: NewPerson) -> NewPerson:
    family = names.clean(data.family_name)
    if not family:
        raise InvalidInputError("A person needs a family name.", field="family_name")
    if len(family) > 200:
        raise InvalidInputError(
            "The family name is too long (200 characters).", field="family_name"
        )
    given = names.clean(data.given_names)
    if len(given) > 200:
        raise InvalidInputError(
            "The given names are too long (200 characters).", field="given_names"
        )
    if data.birth_date and data.birth_date > datetime.now(UTC).date():
        raise InvalidInputError("The birth date lies in the future.", field="birth_date")
    nationality = (data.nationality or "").strip().upper() or None
    if nationality and not NATIONALITY_RE.match(nationality):
        raise InvalidInputError(
            "Nationality must be a three-letter ISO 3166 code such as SYR or UKR.",
            field="nationality",
        )
    azr = (data.azr_number or "").replace(" ", "").upper() or None
    if azr and not AZR_RE.match(azr):
        raise InvalidInputError(
            "The AZR number must be 6 to 20 letters or digits.", field="azr_number"
        )
    aliases = []
    for alias in data.aliases:
        cleaned = names.clean(alias)
        if cleaned and cleaned not in aliases:
            aliases.append(cleaned)
    return NewPerson(family, given, data.birth_date, nationality, azr, tuple(aliases))


def create_person(ctx: Context, actor: Actor, data: NewPerson) -> PersonView:
    clean = _validated(data)
    with ctx.uow() as uow:
        if not policy.can_create_person(actor):
            deny(uow, actor, "person.create", audit.Subject("person"))
        person = Person(
            family_name=clean.family_name,
            given_names=clean.given_names,
            birth_date=clean.birth_date,
            nationality=clean.nationality,
            azr_number=clean.azr_number,
            search_key=names.search_key(f"{clean.family_name} {clean.given_names}"),
            aliases=[
                PersonAlias(name=alias, kind="variant", search_key=names.search_key(alias))
                for alias in clean.aliases
            ],
        )
        uow.session.add(person)
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise ConflictError(
                f"A person with AZR number {clean.azr_number} is already registered.",
                field="azr_number",
            ) from exc
        audit.record(
            uow.session,
            actor,
            "person.create",
            audit.Subject("person", person.id, person_id=person.id),
        )
        view = PersonView.of(person)
        uow.commit()
    return view


def get_person(ctx: Context, actor: Actor, person_id: int) -> PersonView:
    with ctx.uow() as uow:
        subject = audit.Subject("person", person_id, person_id=person_id)
        if not policy.can_read_person_master_data(actor):
            deny(uow, actor, "person.view", subject)
        person = uow.session.execute(
            select(Person).where(Person.id == person_id).options(selectinload(Person.aliases))
        ).scalar()
        if person is None:
            raise NotFoundError("No such person.")
        audit.record(uow.session, actor, "person.view", subject)
        view = PersonView.of(person)
        uow.commit()
    return view


def list_persons(ctx: Context, actor: Actor, query: str, limit: int = 20) -> list[PersonView]:
    """Every word of the query must start a word of the name or of an alias (folded)."""
    words = names.search_key(query).split()
    if not words:
        raise InvalidInputError("Please enter a name to search for.", field="q")
    limit = max(1, min(limit, MAX_LIST))
    with ctx.uow() as uow:
        if not policy.can_read_person_master_data(actor):
            deny(uow, actor, "person.search", audit.Subject("person"))
        conditions = []
        for word in words:
            pattern = [f"{word}%", f"% {word}%"]
            alias_match = select(PersonAlias.person_id).where(
                or_(*(PersonAlias.search_key.like(p) for p in pattern))
            )
            conditions.append(
                or_(*(Person.search_key.like(p) for p in pattern), Person.id.in_(alias_match))
            )
        rows = (
            uow.session.execute(
                select(Person)
                .where(*conditions)
                .options(selectinload(Person.aliases))
                .order_by(Person.family_name, Person.given_names, Person.id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
        audit.record(
            uow.session,
            actor,
            "person.search",
            audit.Subject("person"),
            reason=f"query {query.strip()!r}: {len(rows)} hits",
        )
        views = [PersonView.of(p) for p in rows]
        uow.commit()
    return views
