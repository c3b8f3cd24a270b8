"""Printable separator sheets (Trennblätter) for the scanning desk.

A sheet for a case file carries ``ECASE:CASE:<Aktenzeichen>`` as a QR code and the
Aktenzeichen and the person's name in clear text, so a clerk can check by eye that it lies
on the right letter; a generic sheet carries ``ECASE:SEP`` and sends the next document to
the inbox. Printing a case sheet is recorded in the access log (``sheets.print``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from ecase.domain import policy
from ecase.domain.actor import Actor
from ecase.domain.errors import InvalidInputError, NotFoundError
from ecase.domain.messages import N_
from ecase.models import CaseFile
from ecase.services.access import audit
from ecase.services.access.policy import deny, facts
from ecase.services.casefile.cases import load_case
from ecase.services.context import Context
from ocr import SheetSpec, render_sheet_pdf
from ocr.separators import SEPARATOR_PAYLOAD, case_payload

#: More sheets than this in one call is a typo, not a morning's batch.
MAX_SHEETS = 500

INSTRUCTION = "Dieses Blatt vor das nächste Schriftstück legen."
CASE_HINT = "Das folgende Schriftstück wird dieser Akte zugeordnet."
GENERIC_HINT = "Das folgende Schriftstück kommt in den Posteingang (ohne Aktenzuordnung)."


def sheet_specs(
    ctx: Context, actor: Actor | None, references: Sequence[str], blank: int = 0
) -> list[SheetSpec]:
    """One sheet per named case file (in the given order), then ``blank`` generic sheets.

    ``actor`` None is the trusted local command line, which may read any file's metadata;
    an actor needs the right to file documents into each named case. Unknown or
    unreadable references raise ``NotFoundError`` naming the Aktenzeichen.
    """
    if blank < 0:
        raise InvalidInputError(N_("The number of sheets cannot be negative."), field="count")
    if len(references) + blank > MAX_SHEETS:
        raise InvalidInputError(
            f"At most {MAX_SHEETS} separator sheets at once, please.", field="count"
        )
    normalised = [ctx.scheme.normalise(text) for text in references]
    specs: list[SheetSpec] = []
    if normalised:
        with ctx.uow() as uow:
            session = uow.session
            for reference in normalised:
                case_id = session.execute(
                    select(CaseFile.id).where(CaseFile.reference == reference)
                ).scalar()
                case = load_case(session, case_id) if case_id is not None else None
                if case is None:
                    raise NotFoundError(f"There is no case file with Aktenzeichen {reference}.")
                subject = audit.Subject("case", case.id, case.id, case.person_id)
                if actor is not None and not policy.can_add_document(
                    actor, facts(session, actor, case)
                ):
                    deny(uow, actor, "sheets.print", subject)
                audit.record(session, actor, "sheets.print", subject)
                specs.append(_case_sheet(case))
            uow.commit()
    specs += [_generic_sheet() for _ in range(blank)]
    return specs


def _case_sheet(case: CaseFile) -> SheetSpec:
    person = case.person
    name = (
        f"{person.family_name}, {person.given_names}" if person.given_names else person.family_name
    )
    return SheetSpec(
        payload=case_payload(case.reference),
        title=f"TRENNBLATT – Akte {case.reference}",
        lines=(f"Person: {name}", "", CASE_HINT, INSTRUCTION),
    )


def _generic_sheet() -> SheetSpec:
    return SheetSpec(
        payload=SEPARATOR_PAYLOAD, title="TRENNBLATT", lines=(GENERIC_HINT, INSTRUCTION)
    )


def sheets_pdf(ctx: Context, actor: Actor, case_id: int | None, count: int = 1) -> bytes:
    """``count`` printable sheets naming the case file ``case_id``, or generic ones (web button).

    A file the caller may not file into answers ``NotFoundError`` like a missing one.
    """
    if not 1 <= count <= MAX_SHEETS:
        raise InvalidInputError(f"Between 1 and {MAX_SHEETS} sheets, please.", field="count")
    if case_id is None:
        if not (policy.can_use_inbox(actor) or policy.can_create_case(actor)):
            raise NotFoundError(N_("Not found."))
        return render_sheet_pdf(sheet_specs(ctx, actor, [], blank=count))
    with ctx.uow() as uow:
        reference = uow.session.execute(
            select(CaseFile.reference).where(CaseFile.id == case_id)
        ).scalar()
    if reference is None:
        raise NotFoundError(N_("Not found."))
    return render_sheet_pdf(sheet_specs(ctx, actor, [reference] * count))
