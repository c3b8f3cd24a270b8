"""/api/v1/persons: register persons and find them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ecase.api.schemas import (
    PersonCreatedSchema,
    PersonCreateSchema,
    PersonListSchema,
    PersonQuerySchema,
    PersonSchema,
)
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.services.casefile import persons
from ecase.services.casefile.views import CreatedPersonView, PersonMatch, PersonView

bp = Blueprint("persons", __name__, url_prefix="/api/v1/persons", description="Persons")


@bp.route("")
class Persons(MethodView):
    @bp.arguments(PersonQuerySchema, location="query")
    @bp.response(200, PersonListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, list[PersonMatch]]:
        """Find persons by name in any spelling, birth date, AZR number or Aktenzeichen.

        Results are ranked (``score``), each with the ``reasons`` it matched and the ids of
        persons it may duplicate (same birth date, matching names).
        """
        found = persons.search_persons(service_context(), current_actor(), args["q"], args["limit"])
        return {"persons": found}

    @bp.arguments(PersonCreateSchema)
    @bp.response(201, PersonCreatedSchema)
    def post(self, data: dict[str, Any]) -> CreatedPersonView:
        """Register a person; ``possible_duplicates`` lists persons it may duplicate."""
        return persons.create_person(service_context(), current_actor(), persons.NewPerson(**data))


@bp.route("/<int:person_id>")
class PersonItem(MethodView):
    @bp.response(200, PersonSchema)
    def get(self, person_id: int) -> PersonView:
        """A person's master data."""
        return persons.get_person(service_context(), current_actor(), person_id)
