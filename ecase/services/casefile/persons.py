"""Registering persons and finding them again under the spellings they arrive in."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from ecase.domain import name_matching, names, policy
from ecase.domain.actor import Actor
from ecase.domain.errors import ConflictError, InvalidInputError, NotFoundError
from ecase.domain.messages import N_
from ecase.models import CaseFile, Person, PersonAlias
from ecase.models.people import PersonNameKey
from ecase.services.access import audit
from ecase.services.access.policy import deny
from ecase.services.access.policy import facts as case_facts
from ecase.services.casefile.views import CreatedPersonView, PersonMatch, PersonView
from ecase.services.context import Context

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
        raise InvalidInputError(N_("A person needs a family name."), field="family_name")
    if len(family) > 200:
        raise InvalidInputError(
            N_("The family name is too long (200 characters)."), field="family_name"
        )
    given = names.clean(data.given_names)
    if len(given) > 200:
        raise InvalidInputError(
            N_("The given names are too long (200 characters)."), field="given_names"
        )
    if data.birth_date and data.birth_date > datetime.now(UTC).date():
        raise InvalidInputError(N_("The birth date lies in the future."), field="birth_date")
    nationality = (data.nationality or "").strip().upper() or None
    if nationality and not NATIONALITY_RE.match(nationality):
        raise InvalidInputError(
            N_("Nationality must be a three-letter ISO 3166 code such as SYR or UKR."),
            field="nationality",
        )
    azr = (data.azr_number or "").replace(" ", "").upper() or None
    if azr and not AZR_RE.match(azr):
        raise InvalidInputError(
            N_("The AZR number must be 6 to 20 letters or digits."), field="azr_number"
        )
    aliases = []
    for alias in data.aliases:
        cleaned = names.clean(alias)
        if cleaned and cleaned not in aliases:
            aliases.append(cleaned)
    return NewPerson(family, given, data.birth_date, nationality, azr, tuple(aliases))


def create_person(ctx: Context, actor: Actor, data: NewPerson) -> CreatedPersonView:
    """Register a person; persons it may duplicate are reported, never a reason to refuse."""
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
            name_keys=_name_keys(clean.family_name, clean.given_names, clean.aliases),
        )
        uow.session.add(person)
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise ConflictError(
                f"A person with AZR number {clean.azr_number} is already registered.",
                field="azr_number",
            ) from exc
        duplicates = _possible_duplicates(uow.session, [person]).get(person.id, ())
        audit.record(
            uow.session,
            actor,
            "person.create",
            audit.Subject("person", person.id, person_id=person.id),
            reason=_duplicates_note(duplicates),
        )
        view = PersonView.of(person)
        created = CreatedPersonView(
            **{f.name: getattr(view, f.name) for f in fields(PersonView)},
            possible_duplicates=duplicates,
        )
        uow.commit()
    return created


def _name_keys(family_name: str, given_names: str, aliases: Sequence[str]) -> list[PersonNameKey]:
    return [
        PersonNameKey(key=key, form=form)
        for key, form in name_matching.person_entries(family_name, given_names, aliases)
    ]


def _duplicates_note(duplicates: Sequence[int]) -> str:
    if not duplicates:
        return ""
    return "possible duplicate of " + ", ".join(f"#{pid}" for pid in duplicates)


def get_person(ctx: Context, actor: Actor, person_id: int) -> PersonView:
    with ctx.uow() as uow:
        subject = audit.Subject("person", person_id, person_id=person_id)
        if not policy.can_read_person_master_data(actor):
            deny(uow, actor, "person.view", subject)
        person = uow.session.execute(
            select(Person).where(Person.id == person_id).options(selectinload(Person.aliases))
        ).scalar()
        if person is None:
            raise NotFoundError(N_("No such person."))
        audit.record(uow.session, actor, "person.view", subject)
        view = PersonView.of(person)
        uow.commit()
    return view


def list_persons(ctx: Context, actor: Actor, query: str, limit: int = 20) -> list[PersonView]:
    """The persons of ``search_persons``, best first, without the explanations."""
    return [match.person for match in search_persons(ctx, actor, query, limit)]


def search_persons(ctx: Context, actor: Actor, query: str, limit: int = 20) -> list[PersonMatch]:
    """Find persons by name in any spelling, birth date or year, AZR number or Aktenzeichen.

    An AZR number or the Aktenzeichen of a file the caller may read finds its person
    exactly; otherwise name words are looked up by phonetic key, search form and prefix
    in the key table, and the candidates are ranked in Python (``name_matching``). A birth
    date narrows: persons born on another day are left out, persons whose day and month
    are swapped or whose birth date is unknown follow the exact ones. An Aktenzeichen of a
    file the caller may not read is ignored, so the answer does not reveal that it exists.
    """
    parsed = name_matching.parse_person_query(query, ctx.scheme)
    if parsed.is_empty:
        raise InvalidInputError(
            N_("Please enter a name, a birth date, an AZR number or an Aktenzeichen."), field="q"
        )
    limit = max(1, min(limit, MAX_LIST))
    with ctx.uow() as uow:
        if not policy.can_read_person_master_data(actor):
            deny(uow, actor, "person.search", audit.Subject("person"))
        session = uow.session
        ranked = _by_identifier(session, actor, parsed)
        if not ranked and (parsed.name or parsed.birth_date or parsed.birth_year):
            ranked = _by_name_and_date(session, parsed)
        ranked.sort(key=_Rated.order)
        ranked = ranked[:limit]
        duplicates = _possible_duplicates(session, [r.person for r in ranked])
        results = [
            PersonMatch(
                person=PersonView.of(r.person),
                score=round(r.score, 3),
                reasons=r.reasons,
                possible_duplicate_of=duplicates.get(r.person.id, ()),
            )
            for r in ranked
        ]
        audit.record(
            session,
            actor,
            "person.search",
            audit.Subject("person"),
            reason=f"query {query.strip()!r}: {len(results)} hits",
        )
        uow.commit()
    return results


# Name candidates read from the key table before ranking; enough for the best `MAX_LIST`
# even when a common name (Mohammed) has thousands of rows.
CANDIDATES = 300
# A hit must cover at least half of the query's name words (by weight).
MIN_COVERAGE = 0.5
IDENTIFIER_TIER = -1


@dataclass(frozen=True, slots=True)
class _Rated:
    person: Person
    score: float
    tier: int  # identifier hits, exact date, swapped date, unknown date
    reasons: tuple[str, ...]

    def order(self) -> tuple[int, float, str, str, int]:
        p = self.person
        return (self.tier, -self.score, p.family_name, p.given_names, p.id)


def _candidate(person: Person) -> name_matching.Candidate:
    return name_matching.Candidate.of(
        name_matching.main_name(person.family_name, person.given_names),
        [alias.name for alias in person.aliases],
    )


def _by_identifier(
    session: Session, actor: Actor, parsed: name_matching.PersonQuery
) -> list[_Rated]:
    found: dict[int, tuple[Person, list[str]]] = {}
    if parsed.azr_numbers:
        for person in session.scalars(
            select(Person)
            .where(Person.azr_number.in_(parsed.azr_numbers))
            .options(selectinload(Person.aliases))
        ):
            found.setdefault(person.id, (person, []))[1].append(f"AZR-Nummer: {person.azr_number}")
    if parsed.references:
        for case in session.scalars(
            select(CaseFile)
            .where(CaseFile.reference.in_(parsed.references))
            .options(selectinload(CaseFile.person).selectinload(Person.aliases))
        ):
            if policy.can_read_case(actor, case_facts(session, actor, case)):
                entry = found.setdefault(case.person.id, (case.person, []))
                entry[1].append(f"Aktenzeichen: {case.reference}")
    rated = []
    for person, reasons in found.values():
        extra = _rate(person, parsed)
        more = extra.reasons if extra else ()
        rated.append(_Rated(person, 1.0, IDENTIFIER_TIER, (*reasons, *more)))
    return rated


def _by_name_and_date(session: Session, parsed: name_matching.PersonQuery) -> list[_Rated]:
    dates = _date_condition(parsed)
    if parsed.name is not None:
        ids = _name_candidate_ids(session, parsed.name, dates)
    elif dates is not None:
        ids = list(
            session.scalars(
                select(Person.id)
                .where(dates, Person.birth_date.is_not(None))
                .order_by(Person.family_name, Person.given_names, Person.id)
                .limit(CANDIDATES)
            )
        )
    else:
        ids = []
    if not ids:
        return []
    persons = session.scalars(
        select(Person).where(Person.id.in_(ids)).options(selectinload(Person.aliases))
    )
    return [rated for person in persons if (rated := _rate(person, parsed)) is not None]


def _date_condition(parsed: name_matching.PersonQuery) -> ColumnElement[bool] | None:
    """Persons born that day (or with day and month swapped) or that year, or unknown."""
    if parsed.birth_date is not None:
        days = [parsed.birth_date]
        if parsed.transposed_date is not None:
            days.append(parsed.transposed_date)
        return or_(Person.birth_date.in_(days), Person.birth_date.is_(None))
    if parsed.birth_year is not None:
        year = parsed.birth_year
        return or_(
            Person.birth_date.between(date(year, 1, 1), date(year, 12, 31)),
            Person.birth_date.is_(None),
        )
    return None


def _name_candidate_ids(
    session: Session, name: name_matching.Name, dates: ColumnElement[bool] | None
) -> list[int]:
    """Persons with a word whose key or form equals, or whose form starts with, a query word.

    One indexed lookup per query word (and per two adjacent words joined); candidates
    matching more words, and more exactly, come first.
    """
    words = [u for u in name.units if u.weight == 1.0 and len(u.form) > 1]
    lookups = [(u.forms, u.all_keys, len(u.form) >= name_matching.MIN_PREFIX) for u in words]
    for a, b in itertools.pairwise(name.units):
        if a.weight == b.weight == 1.0:
            joined = a.form + b.form
            lookups.append(((joined,), name_matching.phonetic_keys(joined), False))
    if not lookups:
        return []
    row = PersonNameKey
    # With a birth date the persons of that day are few: filtering each lookup by them lets
    # the database start from the birth-date index instead of from a common name's keys.
    born = row.person_id.in_(select(Person.id).where(dates)) if dates is not None else None
    branches = []
    for forms, keys, prefix in lookups:
        conditions: list[ColumnElement[bool]] = [row.key.in_(keys), row.form.in_(forms)]
        if prefix:
            conditions.append(_prefix_range(row.form, forms[0]))
        rank = case((row.form.in_(forms), 3), (row.key.in_(keys), 2), else_=1)
        branch = select(row.person_id.label("person_id"), func.max(rank).label("rank")).where(
            or_(*conditions)
        )
        if born is not None:
            branch = branch.where(born)
        branches.append(branch.group_by(row.person_id))
    hits = union_all(*branches).subquery()
    statement = (
        select(hits.c.person_id)
        .group_by(hits.c.person_id)
        .order_by(func.sum(hits.c.rank).desc(), hits.c.person_id)
        .limit(CANDIDATES)
    )
    return list(session.scalars(statement))


def _prefix_range(column: InstrumentedAttribute[str], prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix`` as an index range: forms hold only a-z, which every
    collation orders alike, so ``prefix <= form < prefix-with-last-letter-raised`` is exact."""
    stem = prefix.rstrip("z")
    if not stem:
        return column >= prefix
    upper = stem[:-1] + chr(ord(stem[-1]) + 1)
    return and_(column >= prefix, column < upper)


def _rate(person: Person, parsed: name_matching.PersonQuery) -> _Rated | None:
    """Score one candidate against the query, or None when it does not fit."""
    fit = _date_fit(person.birth_date, parsed)
    if fit is None:
        return None
    tier, date_score, date_reason = fit
    reasons: list[str] = []
    if parsed.name is not None:
        match = name_matching.match_name(parsed.name, _candidate(person))
        if match is None or match.coverage < MIN_COVERAGE:
            return None
        reasons.extend(match.reasons)
        has_date = parsed.birth_date is not None or parsed.birth_year is not None
        score = 0.6 * match.score + 0.4 * date_score if has_date else match.score
    else:
        score = date_score
    if date_reason:
        reasons.append(date_reason)
    return _Rated(person, score, tier, tuple(reasons))


def _date_fit(
    birth_date: date | None, parsed: name_matching.PersonQuery
) -> tuple[int, float, str] | None:
    """(tier, score, reason) of a birth date against the query's date or year; None: excluded."""
    if parsed.birth_date is None and parsed.birth_year is None:
        return 0, 1.0, ""
    if birth_date is None:
        return 2, 0.0, "Geburtsdatum nicht erfasst"
    if parsed.birth_date is None:
        same_year = birth_date.year == parsed.birth_year
        return (0, 1.0, f"Geburtsjahr: {birth_date.year}") if same_year else None
    if birth_date == parsed.birth_date:
        return 0, 1.0, f"Geburtsdatum: {birth_date:%d.%m.%Y}"
    if birth_date == parsed.transposed_date:
        return 1, 0.5, f"Geburtsdatum (Tag und Monat vertauscht): {birth_date:%d.%m.%Y}"
    return None


def _possible_duplicates(session: Session, persons: Sequence[Person]) -> dict[int, tuple[int, ...]]:
    """Other persons born the same day whose names match (``name_matching.same_names``)."""
    days = {p.birth_date for p in persons if p.birth_date is not None}
    if not days:
        return {}
    same_day = session.scalars(
        select(Person).where(Person.birth_date.in_(days)).options(selectinload(Person.aliases))
    ).all()
    by_day: dict[date, list[Person]] = {}
    for other in same_day:
        if other.birth_date is not None:
            by_day.setdefault(other.birth_date, []).append(other)
    candidates = {p.id: _candidate(p) for p in (*same_day, *persons)}
    flagged: dict[int, tuple[int, ...]] = {}
    for person in persons:
        if person.birth_date is None:
            continue
        flagged[person.id] = tuple(
            sorted(
                other.id
                for other in by_day.get(person.birth_date, [])
                if other.id != person.id
                and name_matching.same_names(candidates[person.id], candidates[other.id])
            )
        )
    return flagged
