"""Pure domain rules: Aktenzeichen scheme, names, media sniffing, access policy."""

from __future__ import annotations

import pytest

from ecase.domain import names, policy
from ecase.domain.actor import Actor
from ecase.domain.enums import CaseStatus, Role
from ecase.domain.errors import InvalidInputError
from ecase.domain.reference import ReferenceScheme


def test_default_scheme_formats_like_the_office_example() -> None:
    assert ReferenceScheme().format("MA-1234", 2026, 17) == "MA-1234-2026-00017"


def test_scheme_parses_what_it_formats_and_tolerates_typing() -> None:
    scheme = ReferenceScheme()
    ref = scheme.parse("  ma-1234-2026-00017 ")
    assert (ref.plan, ref.year, ref.seq) == ("MA-1234", 2026, 17)
    assert scheme.normalise("ma-1234-2026-17") == "MA-1234-2026-00017"


def test_custom_scheme_is_configurable() -> None:
    scheme = ReferenceScheme("{year}/{plan}/{seq:04d}")
    assert scheme.format("AR.12", 2027, 5) == "2027/AR.12/0005"
    assert scheme.parse("2027/AR.12/0005").seq == 5


@pytest.mark.parametrize("template", ["{plan}-{seq}", "{plan}-{year}-{seq}-{seq}", "{name}"])
def test_scheme_rejects_templates_without_all_parts(template: str) -> None:
    with pytest.raises(ValueError, match="exactly once"):
        ReferenceScheme(template)


@pytest.mark.parametrize("bad", ["", "MA-1234", "MA-1234-26-1", "../etc", "MA 1234 2026 1"])
def test_scheme_rejects_malformed_references(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="not a valid Aktenzeichen"):
        ReferenceScheme().parse(bad)


def test_names_are_stored_nfc_with_collapsed_spaces() -> None:
    decomposed = "Mu\u0308ller  "
    assert names.clean(decomposed) == "Müller"


@pytest.mark.parametrize(
    ("left", "right"),
    [("Müller", "MUELLER"), ("Straße", "strasse"), ("Al-Hassan", "al hassan"), ("Çelik", "celik")],
)
def test_search_key_folds_spelling_drift(left: str, right: str) -> None:
    assert names.search_key(left) == names.search_key(right)


def _actor(role: Role, teams: frozenset[int] = frozenset(), user_id: int = 1) -> Actor:
    return Actor(user_id, "u", role, teams)


OWN = policy.CaseFacts(team_id=1, assignee_id=None, status=CaseStatus.OPEN)
OTHER = policy.CaseFacts(team_id=2, assignee_id=None, status=CaseStatus.OPEN)
ASSIGNED_TO_ME = policy.CaseFacts(team_id=2, assignee_id=1, status=CaseStatus.OPEN)
CLOSED_OWN = policy.CaseFacts(team_id=1, assignee_id=None, status=CaseStatus.CLOSED)


@pytest.mark.parametrize(
    ("role", "case", "expected"),
    [
        (Role.CASEWORKER, OWN, True),
        (Role.CASEWORKER, OTHER, False),
        (Role.CASEWORKER, ASSIGNED_TO_ME, True),
        (Role.SUPERVISOR, OWN, True),
        (Role.SUPERVISOR, OTHER, False),
        (Role.CLERK, OWN, False),
        (Role.CLERK, ASSIGNED_TO_ME, True),
        (Role.AUDITOR, OWN, False),
        (Role.AUDITOR, ASSIGNED_TO_ME, False),
        (Role.ADMIN, OWN, False),
        (Role.ADMIN, ASSIGNED_TO_ME, False),
    ],
)
def test_case_reading_follows_need_to_know(
    role: Role, case: policy.CaseFacts, expected: bool
) -> None:
    actor = _actor(role, frozenset({1}))
    assert policy.can_read_case(actor, case) is expected
    # The query scope must agree with the single-object decision.
    assert policy.readable_cases(actor).includes(case) is expected


def test_clerks_file_into_any_open_case_but_nobody_into_a_closed_one() -> None:
    assert policy.can_add_document(_actor(Role.CLERK), OTHER)
    assert not policy.can_add_document(_actor(Role.CLERK), CLOSED_OWN)
    assert not policy.can_add_document(_actor(Role.CASEWORKER, frozenset({1})), CLOSED_OWN)
    assert not policy.can_add_document(_actor(Role.ADMIN), OWN)


def test_auditors_and_admins_read_no_personal_data() -> None:
    for role in (Role.AUDITOR, Role.ADMIN):
        assert not policy.can_read_person_master_data(_actor(role))
        assert not policy.can_create_case(_actor(role))
        assert policy.readable_cases(_actor(role)).is_empty


def test_references_are_found_in_running_text() -> None:
    text = "Ihr Zeichen: ma-1234-2026-17, Tel. 0711-1234-5678; Az. MA-1234-2025-00003."
    assert ReferenceScheme().find_in_text(text) == {"MA-1234-2026-00017", "MA-1234-2025-00003"}
