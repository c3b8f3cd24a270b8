"""The one place that decides who may see and change what: deny unless a rule allows.

Every service asks here before it touches personal data; the entry points never decide.
The rules follow need-to-know in an Ausländerbehörde: a file is read by the team that
works it (and whoever it is assigned to); auditors and admins never read content.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecase.domain.actor import Actor
from ecase.domain.enums import CaseStatus, Role


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """The few facts about a case file that access decisions depend on."""

    team_id: int | None
    assignee_id: int | None
    status: CaseStatus
    #: the actor holds a live break-glass grant for this file
    break_glass: bool = False


def can_read_person_master_data(actor: Actor) -> bool:
    """Staff may look up people to avoid duplicates and to file mail; each lookup is audited."""
    return actor.is_staff_reader


def can_create_person(actor: Actor) -> bool:
    return actor.is_staff_reader


def can_create_case(actor: Actor) -> bool:
    return actor.is_staff_reader


def can_read_case(actor: Actor, case: CaseFacts) -> bool:
    if can_read_case_normally(actor, case):
        return True
    return case.break_glass and can_break_glass(actor)


def reads_under_break_glass(actor: Actor, case: CaseFacts) -> bool:
    """Such reads are flagged in the access log for the supervisor's review."""
    return not can_read_case_normally(actor, case) and can_read_case(actor, case)


def can_break_glass(actor: Actor) -> bool:
    """Emergency access is for those who decide cases, not for clerks, auditors or admins."""
    return actor.role in {Role.CASEWORKER, Role.SUPERVISOR}


def can_read_case_normally(actor: Actor, case: CaseFacts) -> bool:
    if case.assignee_id is not None and case.assignee_id == actor.user_id:
        return actor.is_staff_reader
    if actor.role in {Role.CASEWORKER, Role.SUPERVISOR}:
        return case.team_id is not None and case.team_id in actor.team_ids
    return False


def can_add_document(actor: Actor, case: CaseFacts) -> bool:
    """Clerks file incoming mail into any open file; caseworkers into the files they read."""
    if case.status is not CaseStatus.OPEN:
        return False
    if actor.role is Role.CLERK:
        return True
    return can_read_case_normally(actor, case)  # break-glass access is read-only


def can_manage_users(actor: Actor) -> bool:
    return actor.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class CaseScope:
    """The set of files an actor may read, in a form queries and the search index can apply."""

    team_ids: frozenset[int]
    assignee_id: int | None

    @property
    def is_empty(self) -> bool:
        return not self.team_ids and self.assignee_id is None

    def includes(self, case: CaseFacts) -> bool:
        if self.assignee_id is not None and case.assignee_id == self.assignee_id:
            return True
        return case.team_id is not None and case.team_id in self.team_ids


def readable_cases(actor: Actor) -> CaseScope:
    """Must agree with ``can_read_case``; the policy tests check both against each other."""
    if actor.role in {Role.CASEWORKER, Role.SUPERVISOR}:
        return CaseScope(actor.team_ids, actor.user_id)
    if actor.role is Role.CLERK:
        return CaseScope(frozenset(), actor.user_id)
    return CaseScope(frozenset(), None)


def can_use_inbox(actor: Actor) -> bool:
    """The Posteingang (unfiled documents) is the clerks' desk; supervisors oversee it."""
    return actor.role in {Role.CLERK, Role.SUPERVISOR}


def can_read_notes(actor: Actor, case: CaseFacts) -> bool:
    """Aktenvermerke record the caseworkers' reasoning; clerks file mail and do not need it."""
    return actor.role in {Role.CASEWORKER, Role.SUPERVISOR} and can_read_case(actor, case)


def can_write_notes(actor: Actor, case: CaseFacts) -> bool:
    """Notes are part of the file: only who works it normally adds them (break-glass reads)."""
    return actor.role in {Role.CASEWORKER, Role.SUPERVISOR} and can_read_case_normally(actor, case)


def can_edit_case_metadata(actor: Actor, case: CaseFacts) -> bool:
    """Subject, assignee and document metadata of an open file: those who work it, not clerks."""
    return case.status is CaseStatus.OPEN and can_write_notes(actor, case)


def can_scan(actor: Actor) -> bool:
    """Scanning batches and confirming their quality check is the clerks' work."""
    return actor.role is Role.CLERK


def can_read_scan_protocol(actor: Actor) -> bool:
    """The scan protocol is metadata (hashes, pages, Aktenzeichen), no document content:
    clerks keep it, supervisors oversee the desk, auditors check the process."""
    return actor.role in {Role.CLERK, Role.SUPERVISOR, Role.AUDITOR}
