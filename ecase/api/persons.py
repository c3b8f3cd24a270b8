"""/api/v1/persons: register persons and find them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ecase.api.schemas import PersonCreateSchema, PersonListSchema, PersonQuerySchema, PersonSchema
from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.services import persons
from ecase.services.views import PersonView

bp = Blueprint("persons", __name__, url_prefix="/api/v1/persons", description="Persons")


@bp.route("")
class Persons(MethodView):
    @bp.arguments(PersonQuerySchema, location="query")
    @bp.response(200, PersonListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, list[PersonView]]:
        """Find persons by name (every word must start a word of the name or an alias)."""
        found = persons.list_persons(service_context(), current_actor(), args["q"], args["limit"])
        return {"persons": found}

    @bp.arguments(PersonCreateSchema)
    @bp.response(201, PersonSchema)
    def post(self, data: dict[str, Any]) -> PersonView:
        """Register a person."""
        return persons.create_person(service_context(), current_actor(), persons.NewPerson(**data))


@bp.route("/<int:person_id>")
class PersonItem(MethodView):
    @bp.response(200, PersonSchema)
    def get(self, person_id: int) -> PersonView:
        """A person's master data."""
        return persons.get_person(service_context(), current_actor(), person_id)
