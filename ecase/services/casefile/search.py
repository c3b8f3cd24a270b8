"""Full-text search over the documents a caller may see; the scope is applied inside the index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.errors import InvalidInputError, NotFoundError
from ecase.domain.messages import N_
from ecase.models import CaseFile
from ecase.services.access import audit
from ecase.services.access.break_glass import live_grant_case_ids
from ecase.services.access.policy import deny, facts
from ecase.services.context import Context
from search import MAX_LIMIT, MAX_OFFSET, InvalidQueryError, Scope, SearchQuery, SearchResult

MAX_QUERY = 500


@dataclass(frozen=True, slots=True)
class SearchRequest:
    text: str
    case_id: int | None = None
    doc_type: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    limit: int = 20
    offset: int = 0


def scope_for(ctx: Context, actor: Actor) -> Scope:
    """Translate the policy's case scope into the index's terms (teams, assigned files, inbox)."""
    readable = policy.readable_cases(actor)
    case_ids: frozenset[int] = frozenset()
    if readable.assignee_id is not None:
        with ctx.uow() as uow:
            case_ids = frozenset(
                uow.session.execute(
                    select(CaseFile.id).where(CaseFile.assignee_id == readable.assignee_id)
                ).scalars()
            )
    if policy.can_break_glass(actor):
        case_ids |= live_grant_case_ids(ctx, actor)
    return Scope(case_ids=case_ids, team_ids=readable.team_ids, inbox=policy.can_use_inbox(actor))


def search_documents(ctx: Context, actor: Actor, request: SearchRequest) -> SearchResult:
    text = " ".join(request.text.split())
    if not text:
        raise InvalidInputError(N_("Please enter something to search for."), field="q")
    if len(text) > MAX_QUERY:
        raise InvalidInputError(N_("The search text is too long (500 characters)."), field="q")
    if not 1 <= request.limit <= MAX_LIMIT or not 0 <= request.offset <= MAX_OFFSET:
        raise InvalidInputError(N_("limit or offset is out of range."), field="limit")
    if request.case_id is not None:
        with ctx.uow() as uow:
            case = uow.session.get(CaseFile, request.case_id)
            if case is None:
                raise NotFoundError(N_("Not found."))
            if not policy.can_read_case(actor, facts(uow.session, actor, case)):
                deny(uow, actor, "search", audit.Subject("case", case.id, case.id, case.person_id))
    scope = scope_for(ctx, actor)
    try:
        query = SearchQuery(
            text=text,
            scope=scope,
            case_id=request.case_id,
            doc_type=request.doc_type or None,
            received_from=request.received_from,
            received_to=request.received_to,
            limit=request.limit,
            offset=request.offset,
        )
        result = ctx.index.search(query) if not scope.is_empty else SearchResult(hits=(), total=0)
    except InvalidQueryError as exc:
        raise InvalidInputError(str(exc), field="q") from exc
    with ctx.uow() as uow:
        audit.record(
            uow.session,
            actor,
            "search",
            audit.Subject("case" if request.case_id else "", request.case_id, request.case_id),
            reason=f"query {text!r}: {result.total} hits",
        )
        uow.commit()
    return result
