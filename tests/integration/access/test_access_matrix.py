"""The access matrix: every route of the app x every role x every relation to the object.

The tables below are the policy as the HTTP surface must show it. ``ROUTES`` names, for
each (endpoint, method) of ``app.url_map``, the outcome for every role (clerk, caseworker,
supervisor, auditor, admin) in every relation to team A's case file:

* ``own``          the caller is a member of team A, which works the file;
* ``other``        the caller is a member of team B only;
* ``assigned``     the caller is in team B, and the file is assigned to them
                   (``CaseFile.assignee_id`` set directly in the database);
* ``break_glass``  the caller is in team B and has asked for emergency access to the file
                   (``POST /api/v1/cases/{id}/break-glass``; refused for clerks, auditors
                   and admins, so for them this relation is "other" after a refusal).

``OPEN_ROUTES`` declares the few routes that need no logged-in user (static files, the
OpenAPI document, health probes and the login flow). A route in neither table fails
``test_every_route_has_a_policy_decision``: a new route needs a policy decision here first.

API routes are called with a Bearer token on a cookie-less client; HTML routes with a
browser session logged in through the real pages (password, then TOTP enrolment).
Anonymous requests must get 401 (API) or a redirect to /login (HTML). A canary word in
team A's document must not be findable, countable or readable by anyone else.
``KNOWN_BUGS`` lists the cells where the application is wrong today; each is checked on
its own as a strict xfail, so fixing the application turns it into an XPASS failure.

The module ends with break-glass password throttling and the PostgreSQL application role
of docs/security.md (those use the PostgreSQL server directly).

Speed: each test builds its own small world (two teams, a case file with one processed
document per team, the caller). Password hashing uses argon2id with small parameters for
this module only; the hashing itself is not under test here (see test_auth_hardening).
The matrix runs on SQLite only: the decisions live in Python and in queries that the
break-glass, audit and pipeline suites already run on PostgreSQL, and a second database
would double the module's runtime for no additional decision.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from werkzeug.test import TestResponse

from ecase.config import Settings
from ecase.db import make_engine
from ecase.models import CaseFile, ScanBatch
from ecase.services.access import audit_log, break_glass, passwords, users
from ecase.services.casefile import cases, documents, page_images, persons
from ecase.services.context import Context
from ecase.services.intake import pipeline, scanning
from ocr import FakePageRenderer
from tests.conftest import TEST_PASSWORD, StaffUser, context_on, truncate_all
from tests.support.fakes import ScriptedExtractor
from tests.support.files import minimal_pdf
from tests.support.web import csrf, login

ROLES = ("clerk", "caseworker", "supervisor", "auditor", "admin")
RELATIONS = ("own", "other", "assigned", "break_glass")

# Outcomes, by status class; "login" is a redirect to the login page.
OK, GO, BAD, DENIED, CONFLICT, UNAUTH, LOGIN = "2xx", "3xx", "400", "404", "409", "401", "login"

REASON = "Die Person steht am Schalter, die zuständige Kollegin ist heute krank."
CANARY = "Schattenkanarie"
CANARY_PREFIX = "Schattenkan*"
OTHER_WORD = "Mietvertragsanlage"
MISSING_ID = 987_654

Row = tuple[str, str, str, str]  # outcome per relation, in the order of RELATIONS
Grid = dict[str, Row]
Key = tuple[str, str]  # (endpoint, method)

# ---------------------------------------------------------------------------------------
# The expected outcomes.                  own       other     assigned  break_glass
# ---------------------------------------------------------------------------------------

#: Reading team A's file or its document: the team, the assignee, a live break-glass grant.
CASE_READ: Grid = {
    "clerk": (DENIED, DENIED, OK, DENIED),
    "caseworker": (OK, DENIED, OK, OK),
    "supervisor": (OK, DENIED, OK, OK),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Filing a document into the file: clerks into any open file, others where they read it
#: normally (break-glass access is read-only).
UPLOAD_API: Grid = {
    "clerk": (OK, OK, OK, OK),
    "caseworker": (OK, DENIED, OK, DENIED),
    "supervisor": (OK, DENIED, OK, DENIED),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: The same through the case page's form: success redirects back to the case page.
UPLOAD_FORM: Grid = {
    "clerk": (GO, GO, GO, GO),
    "caseworker": (GO, DENIED, GO, DENIED),
    "supervisor": (GO, DENIED, GO, DENIED),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Opening a file for team A: clerks route files to any team; others only for their own.
CREATE_CASE: Grid = {
    "clerk": (OK, OK, OK, OK),
    "caseworker": (OK, BAD, BAD, BAD),
    "supervisor": (OK, BAD, BAD, BAD),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Person master data (lookup against duplicates, filing mail): staff who work cases.
STAFF_READERS: Grid = {
    "clerk": (OK, OK, OK, OK),
    "caseworker": (OK, OK, OK, OK),
    "supervisor": (OK, OK, OK, OK),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Asking for emergency access: not needed where the caller already reads the file.
OPEN_BREAK_GLASS: Grid = {
    "clerk": (DENIED, DENIED, DENIED, DENIED),
    "caseworker": (CONFLICT, OK, CONFLICT, OK),
    "supervisor": (CONFLICT, OK, CONFLICT, OK),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: The emergency-access page (by Aktenzeichen): for those who may take break-glass access.
BREAK_GLASS_PAGE: Grid = {
    "clerk": (DENIED, DENIED, DENIED, DENIED),
    "caseworker": (OK, OK, OK, OK),
    "supervisor": (OK, OK, OK, OK),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Its form: a grant redirects to the file; a file one reads anyway is refused in the form.
BREAK_GLASS_FORM: Grid = {
    "clerk": (DENIED, DENIED, DENIED, DENIED),
    "caseworker": (BAD, GO, BAD, GO),
    "supervisor": (BAD, GO, BAD, GO),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Signing off team B's caseworker's emergency access to team A's file: team A's supervisor.
REVIEW_BREAK_GLASS: Grid = {
    "clerk": (DENIED, DENIED, DENIED, DENIED),
    "caseworker": (DENIED, DENIED, DENIED, DENIED),
    "supervisor": (OK, DENIED, DENIED, DENIED),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: The same through the review page's form: success redirects back to the list.
REVIEW_FORM: Grid = {
    "clerk": (DENIED, DENIED, DENIED, DENIED),
    "caseworker": (DENIED, DENIED, DENIED, DENIED),
    "supervisor": (GO, DENIED, DENIED, DENIED),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: The access log, its reports and the break-glass review list (supervisors see their teams' part).
LOG_READERS: Grid = {
    "clerk": (DENIED, DENIED, DENIED, DENIED),
    "caseworker": (DENIED, DENIED, DENIED, DENIED),
    "supervisor": (OK, OK, OK, OK),
    "auditor": (OK, OK, OK, OK),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: The Posteingang is the clerks' desk; supervisors oversee it. Unrelated to team A's file.
INBOX: Grid = {
    "clerk": (OK, OK, OK, OK),
    "caseworker": (DENIED, DENIED, DENIED, DENIED),
    "supervisor": (OK, OK, OK, OK),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Filing team A's document, which is filed already: inbox users pass the policy and meet
#: the conflict; everyone else gets the usual 404.
ASSIGN: Grid = {
    "clerk": ("409", "409", "409", "409"),
    "caseworker": (DENIED, DENIED, DENIED, DENIED),
    "supervisor": ("409", "409", "409", "409"),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Scan batches: clerks scan and confirm the quality check; nobody else writes them.
SCAN_WRITE: Grid = {
    "clerk": (OK, OK, OK, OK),
    "caseworker": (DENIED, DENIED, DENIED, DENIED),
    "supervisor": (DENIED, DENIED, DENIED, DENIED),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: The scan protocol is metadata: clerks, their supervisors and the auditors read it.
SCAN_PROTOCOL: Grid = {
    "clerk": (OK, OK, OK, OK),
    "caseworker": (DENIED, DENIED, DENIED, DENIED),
    "supervisor": (OK, OK, OK, OK),
    "auditor": (OK, OK, OK, OK),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Aktenvermerke: read by caseworkers and supervisors who read the file (break-glass too);
#: clerks file mail and do not read them.
NOTES_READ: Grid = {
    "clerk": (DENIED, DENIED, DENIED, DENIED),
    "caseworker": (OK, DENIED, OK, OK),
    "supervisor": (OK, DENIED, OK, OK),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Writing notes and changing metadata (subject, assignee, document title/type/date): those
#: who work the file normally; break-glass access is read-only, clerks do not edit files.
FILE_WRITE: Grid = {
    "clerk": (DENIED, DENIED, DENIED, DENIED),
    "caseworker": (OK, DENIED, OK, DENIED),
    "supervisor": (OK, DENIED, OK, DENIED),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: The same through the case page's forms: success redirects back to the case page.
FILE_WRITE_FORM: Grid = {
    "clerk": (DENIED, DENIED, DENIED, DENIED),
    "caseworker": (GO, DENIED, GO, DENIED),
    "supervisor": (GO, DENIED, GO, DENIED),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: The inbox page's forms (filing, split/rotate/merge) on team A's filed document: inbox
#: users pass the policy and are told on the inbox page why not (a redirect); others 404.
INBOX_FORM: Grid = {
    "clerk": (GO, GO, GO, GO),
    "caseworker": (DENIED, DENIED, DENIED, DENIED),
    "supervisor": (GO, GO, GO, GO),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: The upload page's and the scan protocol page's forms: clerks only, answered by a redirect.
SCAN_WRITE_FORM: Grid = {
    "clerk": (GO, GO, GO, GO),
    "caseworker": (DENIED, DENIED, DENIED, DENIED),
    "supervisor": (DENIED, DENIED, DENIED, DENIED),
    "auditor": (DENIED, DENIED, DENIED, DENIED),
    "admin": (DENIED, DENIED, DENIED, DENIED),
}
#: Pages every logged-in user has (start page, own account).
EVERYONE: Grid = dict.fromkeys(ROLES, (OK, OK, OK, OK))
#: Logging out answers with the login page.
EVERYONE_TO_LOGIN: Grid = dict.fromkeys(ROLES, (LOGIN, LOGIN, LOGIN, LOGIN))

#: Does team A's file show up in the caller's case list and search (normal reach only;
#: break-glass opens one file on purpose, it does not put it on the desk)?
LISTED: dict[str, tuple[bool, bool, bool, bool]] = {
    "clerk": (False, False, True, False),
    "caseworker": (True, False, True, False),
    "supervisor": (True, False, True, False),
    "auditor": (False, False, False, False),
    "admin": (False, False, False, False),
}


@dataclass(frozen=True)
class Route:
    """How to call one (endpoint, method) on team A's objects, and what it must answer."""

    via: str  # "api": Bearer token, no cookie; "html": the logged-in browser session
    path: str  # formatted with World.ids()
    expect: Grid
    json: Callable[[World], dict[str, Any]] | None = None
    form: Callable[[World], dict[str, Any]] | None = None
    upload: bool = False
    #: calls that change the world run after every read, in this order
    late: int = 0


def _new_person(_w: World) -> dict[str, Any]:
    return {"family_name": "Neumann", "birth_date": None}


def _new_case(w: World) -> dict[str, Any]:
    return {"person_id": w.person, "subject": "Zweitakte", "team": "Team A"}


def _assign_to_own_case(w: World) -> dict[str, Any]:
    return {"case_id": w.case}


def _break_glass(_w: World) -> dict[str, Any]:
    return _break_glass_body()


def _review(_w: World) -> dict[str, Any]:
    return {"note": "Geprüft, Zugriff war begründet."}


def _break_glass_form(w: World) -> dict[str, Any]:
    return {"reference": w.reference, **_break_glass_body()}


def _review_form(w: World) -> dict[str, Any]:
    return {"grant_id": str(w.grant_form), "note": "Geprüft, Zugriff war begründet."}


def _wrong_current_password(_w: World) -> dict[str, Any]:
    # A refused change: the route is exercised without ending the session.
    new = "Ganz-Neues-Passwort-7"
    return {"current": "not-the-password-1", "new": new, "repeat": new}


def _note(_w: World) -> dict[str, Any]:
    return {"body": "Rückruf der Person vereinbart <b>fett</b>."}


def _case_subject(_w: World) -> dict[str, Any]:
    # Without an assignee field: the assignee stays (the "assigned" caller keeps the file).
    return {"subject": "Aufenthaltserlaubnis (geprüft)"}


def _document_type(_w: World) -> dict[str, Any]:
    return {"doc_type": "Bescheid"}


def _document_form(_w: World) -> dict[str, Any]:
    return {"title": f"Bescheid {CANARY}", "doc_type": "Bescheid", "received_on": "2024-05-02"}


def _quality_check(_w: World) -> dict[str, Any]:
    return {"mode": "sampled", "note": "Stichprobe: alle Seiten lesbar."}


def _nothing(_w: World) -> dict[str, Any]:
    return {}


def _split(_w: World) -> dict[str, Any]:
    return {"at_page": 2}


def _rotate(_w: World) -> dict[str, Any]:
    return {"pages": [1], "degrees": 90}


def _rotate_form(_w: World) -> dict[str, Any]:
    return {"pages": "1", "degrees": "90"}


def _merge(w: World) -> dict[str, Any]:
    return {"other_id": w.doc_b}


def _file_form(w: World) -> dict[str, Any]:
    return {"case_id": str(w.case)}


ROUTES: dict[Key, Route] = {
    ("persons.Persons", "GET"): Route("api", "/api/v1/persons?q=Haddad", STAFF_READERS),
    ("persons.Persons", "POST"): Route("api", "/api/v1/persons", STAFF_READERS, json=_new_person),
    ("persons.PersonItem", "GET"): Route("api", "/api/v1/persons/{person}", STAFF_READERS),
    ("cases.Cases", "POST"): Route("api", "/api/v1/cases", CREATE_CASE, json=_new_case),
    ("cases.CaseItem", "GET"): Route("api", "/api/v1/cases/{case}", CASE_READ),
    ("cases.CaseDocuments", "POST"): Route(
        "api", "/api/v1/cases/{case}/documents", UPLOAD_API, upload=True
    ),
    ("documents.DocumentItem", "GET"): Route("api", "/api/v1/documents/{doc}", CASE_READ),
    ("documents.DocumentContent", "GET"): Route(
        "api", "/api/v1/documents/{doc}/content", CASE_READ
    ),
    ("documents.DocumentText", "GET"): Route("api", "/api/v1/documents/{doc}/text", CASE_READ),
    ("inbox.Inbox", "GET"): Route("api", "/api/v1/inbox", INBOX),
    ("inbox.Inbox", "POST"): Route("api", "/api/v1/inbox", INBOX, upload=True),
    ("inbox.Assign", "POST"): Route(
        "api", "/api/v1/documents/{doc}/assign", ASSIGN, json=_assign_to_own_case
    ),
    ("search.Search", "GET"): Route("api", "/api/v1/search?q={canary}&case={case}", CASE_READ),
    ("break_glass.OpenBreakGlass", "POST"): Route(
        "api", "/api/v1/cases/{case}/break-glass", OPEN_BREAK_GLASS, json=_break_glass, late=2
    ),
    ("break_glass.BreakGlassList", "GET"): Route("api", "/api/v1/break-glass", LOG_READERS),
    ("break_glass.ReviewBreakGlass", "POST"): Route(
        "api", "/api/v1/break-glass/{grant}/review", REVIEW_BREAK_GLASS, json=_review, late=1
    ),
    ("audit.AuditEvents", "GET"): Route("api", "/api/v1/audit?case={case}", LOG_READERS),
    ("audit.AuditExport", "GET"): Route("api", "/api/v1/audit/export.csv?case={case}", LOG_READERS),
    ("audit.UnusualAccess", "GET"): Route("api", "/api/v1/audit/unusual", LOG_READERS),
    ("scan_batches.ScanBatches", "GET"): Route("api", "/api/v1/scan-batches", SCAN_PROTOCOL),
    ("scan_batches.ScanBatches", "POST"): Route(
        "api", "/api/v1/scan-batches", SCAN_WRITE, upload=True
    ),
    ("scan_batches.ScanBatchItem", "GET"): Route(
        "api", "/api/v1/scan-batches/{batch}", SCAN_PROTOCOL
    ),
    ("scan_batches.ScanBatchQualityCheck", "POST"): Route(
        "api", "/api/v1/scan-batches/{batch}/quality-check", SCAN_WRITE, json=_quality_check
    ),
    ("scan_batches.ScanBatchProtocolCsv", "GET"): Route(
        "api", "/api/v1/scan-batches/{batch}/protocol.csv", SCAN_PROTOCOL
    ),
    ("scan_batches.ScanBatchProtocolPdf", "GET"): Route(
        "api", "/api/v1/scan-batches/{batch}/protocol.pdf", SCAN_PROTOCOL
    ),
    ("oversight.audit_page", "GET"): Route("html", "/audit?case={case}", LOG_READERS),
    ("oversight.audit_export", "GET"): Route("html", "/audit/export.csv?case={case}", LOG_READERS),
    ("oversight.unusual", "GET"): Route("html", "/audit/unusual", LOG_READERS),
    ("oversight.break_glass_review", "GET"): Route("html", "/break-glass", LOG_READERS),
    ("oversight.break_glass_request", "GET"): Route("html", "/break-glass/new", BREAK_GLASS_PAGE),
    ("oversight.break_glass_request", "POST"): Route(
        "html", "/break-glass/new", BREAK_GLASS_FORM, form=_break_glass_form, late=2
    ),
    ("oversight.break_glass_review", "POST"): Route(
        "html", "/break-glass", REVIEW_FORM, form=_review_form, late=1
    ),
    ("workspace.home", "GET"): Route("html", "/", EVERYONE),
    ("case_pages.case", "GET"): Route("html", "/cases/{case}", CASE_READ),
    ("case_pages.case", "POST"): Route("html", "/cases/{case}", UPLOAD_FORM, upload=True),
    ("case_pages.original", "GET"): Route("html", "/documents/{doc}/original", CASE_READ),
    ("viewer.document", "GET"): Route("html", "/documents/{doc}?q={canary}", CASE_READ),
    ("viewer.page_image", "GET"): Route("html", "/documents/{doc}/pages/1/image", CASE_READ),
    ("viewer.page_thumb", "GET"): Route("html", "/documents/{doc}/pages/1/thumb", CASE_READ),
    ("viewer.searchable_pdf", "GET"): Route("html", "/documents/{doc}/searchable.pdf", CASE_READ),
    ("documents.DocumentPages", "GET"): Route("api", "/api/v1/documents/{doc}/pages", CASE_READ),
    ("account.change_password", "GET"): Route("html", "/account/password", EVERYONE),
    ("account.change_password", "POST"): Route(
        "html", "/account/password", EVERYONE, form=_wrong_current_password
    ),
    ("account.logout", "POST"): Route("html", "/logout", EVERYONE_TO_LOGIN, form=_nothing, late=3),
    ("cases.CaseItem", "PATCH"): Route(
        "api", "/api/v1/cases/{case}", FILE_WRITE, json=_case_subject, late=1
    ),
    ("cases.CaseNotes", "GET"): Route("api", "/api/v1/cases/{case}/notes", NOTES_READ),
    ("cases.CaseNotes", "POST"): Route(
        "api", "/api/v1/cases/{case}/notes", FILE_WRITE, json=_note, late=1
    ),
    ("documents.DocumentItem", "PATCH"): Route(
        "api", "/api/v1/documents/{doc}", FILE_WRITE, json=_document_type, late=1
    ),
    ("case_pages.add_note", "POST"): Route(
        "html", "/cases/{case}/notes", FILE_WRITE_FORM, form=_note, late=1
    ),
    ("case_pages.edit_case", "POST"): Route(
        "html", "/cases/{case}/edit", FILE_WRITE_FORM, form=_case_subject, late=1
    ),
    ("case_pages.edit_document", "GET"): Route("html", "/documents/{doc}/edit", FILE_WRITE),
    ("case_pages.edit_document", "POST"): Route(
        "html", "/documents/{doc}/edit", FILE_WRITE_FORM, form=_document_form, late=1
    ),
    ("workspace.persons", "GET"): Route("html", "/persons?q=Haddad", STAFF_READERS),
    ("workspace.person", "GET"): Route("html", "/persons/{person}", STAFF_READERS),
    ("workspace.search", "GET"): Route("html", "/search?q={canary}&case={case}", CASE_READ),
    ("posteingang.inbox_page", "GET"): Route("html", "/inbox", INBOX),
    ("posteingang.file_document", "POST"): Route(
        "html", "/inbox/{doc}/file", INBOX_FORM, form=_file_form
    ),
    ("posteingang.split", "POST"): Route("html", "/inbox/{doc}/split", INBOX_FORM, form=_split),
    ("posteingang.rotate", "POST"): Route(
        "html", "/inbox/{doc}/rotate", INBOX_FORM, form=_rotate_form
    ),
    ("posteingang.merge", "POST"): Route("html", "/inbox/{doc}/merge", INBOX_FORM, form=_merge),
    ("posteingang.sheets_pdf", "GET"): Route("html", "/sheets.pdf?case={case}", UPLOAD_API),
    ("posteingang.upload", "GET"): Route("html", "/inbox/upload", SCAN_WRITE),
    ("posteingang.upload", "POST"): Route("html", "/inbox/upload", SCAN_WRITE_FORM, upload=True),
    ("posteingang.batches", "GET"): Route("html", "/scan-batches", SCAN_PROTOCOL),
    ("posteingang.batch", "GET"): Route("html", "/scan-batches/{batch}", SCAN_PROTOCOL),
    ("posteingang.batch", "POST"): Route(
        "html", "/scan-batches/{batch}", SCAN_WRITE_FORM, form=_quality_check
    ),
    ("posteingang.protocol_csv", "GET"): Route(
        "html", "/scan-batches/{batch}/protocol.csv", SCAN_PROTOCOL
    ),
    ("posteingang.protocol_pdf", "GET"): Route(
        "html", "/scan-batches/{batch}/protocol.pdf", SCAN_PROTOCOL
    ),
    ("document_edits.Split", "POST"): Route(
        "api", "/api/v1/documents/{doc}/split", ASSIGN, json=_split
    ),
    ("document_edits.Rotate", "POST"): Route(
        "api", "/api/v1/documents/{doc}/rotate", ASSIGN, json=_rotate
    ),
    ("document_edits.Merge", "POST"): Route(
        "api", "/api/v1/documents/{doc}/merge", ASSIGN, json=_merge
    ),
}


@dataclass(frozen=True)
class OpenRoute:
    """A route outside the matrix: what it answers without any login, and why that is right."""

    path: str
    anonymous: str
    why: str
    form: dict[str, str] | None = None


OPEN_ROUTES: dict[Key, OpenRoute] = {
    ("static", "GET"): OpenRoute("/static/ecase.css", OK, "style sheet; no personal data"),
    ("api-docs.openapi_json", "GET"): OpenRoute(
        "/api/v1/openapi.json", OK, "the API's shape, generated from code; no data"
    ),
    ("health.Health", "GET"): OpenRoute("/healthz", OK, "liveness probe of the load balancer"),
    ("health.Ready", "GET"): OpenRoute("/readyz", OK, "readiness probe; names no data"),
    ("account.login", "GET"): OpenRoute("/login", OK, "the login form"),
    ("account.login", "POST"): OpenRoute(
        "/login",
        OK,
        "a refused login renders the form again (throttled; see test_auth_hardening)",
        form={"username": "owner-a", "password": "not-the-password-1"},
    ),
    ("account.second_factor", "GET"): OpenRoute(
        "/login/code", LOGIN, "second step of the login: needs the password step first"
    ),
    ("account.second_factor", "POST"): OpenRoute(
        "/login/code", LOGIN, "second step of the login", form={"code": "123456"}
    ),
    ("account.enrol_second_factor", "GET"): OpenRoute(
        "/account/second-factor", LOGIN, "TOTP enrolment: needs the password step first"
    ),
    ("account.enrol_second_factor", "POST"): OpenRoute(
        "/account/second-factor", LOGIN, "TOTP enrolment", form={"code": "123456"}
    ),
}

#: Cells where the application deviates from the tables above (each is a bug to fix).
#: Key: (endpoint, method, role, relation); role "anonymous" for the unauthenticated test.
KNOWN_BUGS: dict[tuple[str, str, str, str], str] = {}

# ---------------------------------------------------------------------------------------
# Fixtures and the world
# ---------------------------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """This module runs on SQLite only (see the module docstring), in memory-backed files
    where the machine has them: every request commits several times, and fsync dominates."""
    shm = Path("/dev/shm")  # noqa: S108  # mkdtemp below makes a private directory
    folder = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() else tmp_path
    path = folder / "ecase.sqlite3"
    shutil.copy(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    try:
        yield eng
    finally:
        eng.dispose()
        if folder != tmp_path:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small parameters: a world needs several users and password checks."""
    passwords._dummy_hash()  # cache the real dummy hash before the cheap hasher is in place
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@dataclass
class World:
    app: Flask
    owner: StaffUser  # team A's caseworker
    caller: StaffUser
    api: FlaskClient  # no cookies: Bearer tokens only
    web: FlaskClient  # the caller's logged-in browser session (if logged in)
    person: int
    case: int
    doc: int
    reference: str
    case_b: int
    doc_b: int
    grant: int  # team B's caseworker's break-glass grant on team A's file (API review)
    grant_form: int  # a second one (review page)
    batch: int = 0  # a split scan batch (hot folder) whose protocol is read

    def ids(self) -> dict[str, object]:
        return {
            "batch": self.batch,
            "person": self.person,
            "case": self.case,
            "doc": self.doc,
            "grant": self.grant,
            "canary": CANARY,
        }


def _file_with_document(
    ctx: Context, extractor: ScriptedExtractor, owner: StaffUser, name: str, text: str
) -> tuple[int, int, int, str]:
    person = persons.create_person(ctx, owner.actor, persons.NewPerson(name, birth_date=None))
    case = cases.create_case(ctx, owner.actor, cases.NewCase(person.id, "Aufenthaltserlaubnis"))
    upload = documents.Upload(
        stream=io.BytesIO(minimal_pdf()), filename="bescheid.pdf", title=f"Bescheid {text}"
    )
    doc = documents.add_document(ctx, owner.actor, case.id, upload)
    extractor.pages = (f"Im Bescheid steht das Wort {text} mitten im Text.",)
    assert pipeline.process_document(ctx, doc.id).status == "ready"
    renderer = FakePageRenderer(pages=len(extractor.pages))
    page_images.render_document_pages(replace(ctx, page_renderer=renderer), doc.id)
    return person.id, case.id, doc.id, case.reference


def build_world(
    ctx: Context,
    app: Flask,
    make_user: Callable[..., StaffUser],
    extractor: ScriptedExtractor,
    *,
    role: str,
    relation: str,
    web_login: bool = True,
) -> World:
    """Two teams with one processed document each, and the caller in the given relation."""
    owner_a = make_user("caseworker", ("Team A",), name="owner-a")
    owner_b = make_user("caseworker", ("Team B",), name="owner-b")
    person, case, doc, reference = _file_with_document(ctx, extractor, owner_a, "Haddad", CANARY)
    _, case_b, doc_b, _ = _file_with_document(ctx, extractor, owner_b, "Petrenko", OTHER_WORD)
    grants = [
        break_glass.open_break_glass(ctx, owner_b.actor, case, REASON, TEST_PASSWORD).id
        for _ in range(2)
    ]

    team = "Team A" if relation == "own" else "Team B"
    caller = make_user(role, (team,), name=f"{role}-{relation}".replace("_", "-"))
    if relation == "assigned":
        with ctx.uow() as uow:
            uow.session.execute(
                update(CaseFile).where(CaseFile.id == case).values(assignee_id=caller.actor.user_id)
            )
            uow.commit()
    api = app.test_client()
    if relation == "break_glass":
        response = api.post(
            f"/api/v1/cases/{case}/break-glass", json=_break_glass_body(), headers=caller.headers
        )
        expected = 201 if role in {"caseworker", "supervisor"} else 404
        assert response.status_code == expected, response.json
    web = app.test_client()
    if web_login:
        login(web, caller)
    batch = scanning.ingest_file(
        ctx, None, io.BytesIO(minimal_pdf("Stapel")), "stapel.pdf", channel="hotfolder"
    ).id
    with ctx.uow() as uow:  # split already: the quality check needs a finished batch
        uow.session.execute(update(ScanBatch).where(ScanBatch.id == batch).values(status="done"))
        uow.commit()
    return World(
        app,
        owner_a,
        caller,
        api,
        web,
        person,
        case,
        doc,
        reference,
        case_b,
        doc_b,
        *grants,
        batch=batch,
    )


def _break_glass_body() -> dict[str, str]:
    return {"reason": REASON, "password": TEST_PASSWORD}


@pytest.fixture
def world_factory(
    ctx: Context,
    app: Flask,
    make_user: Callable[..., StaffUser],
    extractor: ScriptedExtractor,
) -> Callable[..., World]:
    def _build(role: str, relation: str, *, web_login: bool = True) -> World:
        return build_world(
            ctx, app, make_user, extractor, role=role, relation=relation, web_login=web_login
        )

    return _build


# ---------------------------------------------------------------------------------------
# Calling a route and classifying the answer
# ---------------------------------------------------------------------------------------


def outcome(response: TestResponse) -> str:
    code = response.status_code
    if 300 <= code < 400:
        target = urlsplit(response.headers.get("Location", "")).path
        return LOGIN if target == "/login" else GO
    if 200 <= code < 300:
        return OK
    return str(code)


def _pdf_field() -> tuple[io.BytesIO, str]:
    return io.BytesIO(minimal_pdf("Nachreichung")), "nachreichung.pdf"


def call(
    world: World, method: str, route: Route, *, client: FlaskClient | None = None
) -> TestResponse:
    """Call ``route`` as the world's caller (or on ``client`` as given: anonymous)."""
    path = route.path.format(**world.ids())
    anonymous = client is not None
    if route.via == "api":
        http = client or world.api
        headers = {} if anonymous else world.caller.headers
        if route.upload:
            return http.open(
                path,
                method=method,
                headers=headers,
                data={"file": _pdf_field(), "title": "Nachreichung"},
                content_type="multipart/form-data",
            )
        body = route.json(world) if route.json else None
        return http.open(path, method=method, headers=headers, json=body)
    http = client or world.web
    if method == "GET":
        return http.get(path)
    # Forms carry the session's CSRF token: the request must reach the access decision.
    token_page = "/login" if anonymous else "/account/password"
    data: dict[str, Any] = {"csrf_token": csrf(http.get(token_page).get_data(as_text=True))}
    if route.upload:
        data |= {"file": _pdf_field(), "title": "Nachreichung"}
        return http.post(path, data=data, content_type="multipart/form-data")
    data |= route.form(world) if route.form else {}
    return http.post(path, data=data)


def expected_for(route: Route, role: str, relation: str) -> str:
    return route.expect[role][RELATIONS.index(relation)]


# ---------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------


def _served(app: Flask) -> set[Key]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_policy_decision(app: Flask) -> None:
    served = _served(app)
    missing = sorted(served - set(ROUTES) - set(OPEN_ROUTES))
    assert not missing, f"new route without a policy decision in the access matrix: {missing}"
    stale = sorted((set(ROUTES) | set(OPEN_ROUTES)) - served)
    assert not stale, f"the access matrix names routes the app no longer has: {stale}"
    assert not set(ROUTES) & set(OPEN_ROUTES)
    for key, route in ROUTES.items():
        assert set(route.expect) == set(ROLES), key
        assert all(len(row) == len(RELATIONS) for row in route.expect.values()), key


def _consistency(world: World, role: str, relation: str) -> list[str]:
    """The case list and the search index must agree with the single-object decisions."""
    problems = []
    listed = LISTED[role][RELATIONS.index(relation)]
    home = world.web.get("/").get_data(as_text=True)
    if (world.reference in home) != listed:
        problems.append(f"start page lists team A's file: {not listed}, expected {listed}")
    findable = expected_for(ROUTES[("search.Search", "GET")], role, relation) == OK
    found = world.api.get(f"/api/v1/search?q={CANARY}", headers=world.caller.headers).json
    if found["total"] != int(findable):
        problems.append(f"search total for the canary is {found['total']}, expected {findable:d}")
    return problems


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(world_factory: Callable[..., World], role: str, relation: str) -> None:
    world = world_factory(role, relation)
    mismatches = _consistency(world, role, relation)
    for (endpoint, method), route in sorted(ROUTES.items(), key=lambda item: item[1].late):
        if (endpoint, method, role, relation) in KNOWN_BUGS:
            continue
        expected = expected_for(route, role, relation)
        response = call(world, method, route)
        actual = outcome(response)
        if actual != expected:
            mismatches.append(
                f"{method} {route.path} ({endpoint}): expected {expected}, got "
                f"{response.status_code} {response.get_data(as_text=True)[:120]!r}"
            )
    assert not mismatches, f"{role} / {relation}:\n" + "\n".join(mismatches)


def test_anonymous_requests_are_refused(world_factory: Callable[..., World]) -> None:
    """No credentials: 401 from the API, a redirect to the login page from HTML routes."""
    world = world_factory("caseworker", "own", web_login=False)
    mismatches = []
    for (endpoint, method), route in sorted(ROUTES.items(), key=lambda item: item[1].late):
        if (endpoint, method, "anonymous", "-") in KNOWN_BUGS:
            continue
        expected = UNAUTH if route.via == "api" else LOGIN
        response = call(world, method, route, client=world.app.test_client())
        if outcome(response) != expected:
            mismatches.append(
                f"{method} {route.path}: expected {expected}, got {outcome(response)}"
            )
    for (endpoint, method), open_route in OPEN_ROUTES.items():
        anonymous = world.app.test_client()
        if method == "GET":
            response = anonymous.get(open_route.path)
        else:
            token = csrf(anonymous.get("/login").get_data(as_text=True))
            response = anonymous.post(
                open_route.path, data={**(open_route.form or {}), "csrf_token": token}
            )
        if outcome(response) != open_route.anonymous:
            mismatches.append(
                f"{method} {open_route.path} ({endpoint}): expected {open_route.anonymous}, "
                f"got {outcome(response)}"
            )
    assert not mismatches, "\n".join(mismatches)


def _known_bug_cells() -> list[Any]:
    return [
        pytest.param(cell, marks=pytest.mark.xfail(strict=True, reason=reason), id="-".join(cell))
        for cell, reason in KNOWN_BUGS.items()
    ]


if KNOWN_BUGS:

    @pytest.mark.parametrize("cell", _known_bug_cells())
    def test_known_deviations(
        world_factory: Callable[..., World], cell: tuple[str, str, str, str]
    ) -> None:
        """Each cell the matrix skips, on its own: it fails until the application is fixed."""
        endpoint, method, role, relation = cell
        route = ROUTES[(endpoint, method)]
        if role == "anonymous":
            world = world_factory("caseworker", "own", web_login=False)
            response = call(world, method, route, client=world.app.test_client())
            expected = UNAUTH if route.via == "api" else LOGIN
        else:
            world = world_factory(role, relation)
            response = call(world, method, route)
            expected = expected_for(route, role, relation)
        assert outcome(response) == expected, response.get_data(as_text=True)[:300]


# ---------------------------------------------------------------------------------------
# The canary: a word in team A's document never reaches anyone outside its reach
# ---------------------------------------------------------------------------------------

CANARY_QUERIES = (
    CANARY,
    CANARY.lower(),
    CANARY_PREFIX,
    f'"Wort {CANARY}"',
    f"{CANARY} OR {OTHER_WORD}",
    f"Bescheid -{OTHER_WORD}",
    "*",
)


@pytest.mark.parametrize("role", ROLES)
def test_canary_word_stays_inside_team_a(world_factory: Callable[..., World], role: str) -> None:
    world = world_factory(role, "other", web_login=False)
    headers = world.caller.headers
    api = world.api

    # The positive control: team A's own caseworker finds it with every query and reads it.
    for query in CANARY_QUERIES:
        own = api.get("/api/v1/search", query_string={"q": query}, headers=world.owner.headers)
        assert [hit["document_id"] for hit in own.json["hits"]] == [world.doc], query
    text = api.get(f"/api/v1/documents/{world.doc}/text", headers=world.owner.headers)
    assert CANARY in text.json["text"]

    reads_team_b = role in {"caseworker", "supervisor"}
    for query in CANARY_QUERIES:
        response = api.get("/api/v1/search", query_string={"q": query}, headers=headers)
        assert response.status_code == 200, (query, response.json)
        body = response.get_data(as_text=True)
        assert CANARY.lower() not in body.lower(), (query, body)
        hits = {hit["document_id"] for hit in response.json["hits"]}
        assert world.doc not in hits, query
        # Only team B's own document may count: the canary adds nothing to any total.
        team_b_matches = reads_team_b and query in {f"{CANARY} OR {OTHER_WORD}", "*"}
        assert response.json["total"] == int(team_b_matches), (query, response.json)
        assert hits == ({world.doc_b} if team_b_matches else set()), query

    # Metadata, content and text of the document, the file and a search inside it: 404,
    # and the same 404 as for an id that does not exist.
    for template in (
        "/api/v1/documents/{}",
        "/api/v1/documents/{}/content",
        "/api/v1/documents/{}/text",
    ):
        hidden = api.get(template.format(world.doc), headers=headers)
        absent = api.get(template.format(MISSING_ID), headers=headers)
        assert hidden.status_code == absent.status_code == 404, template
        assert hidden.json == absent.json, template
    for template in ("/api/v1/cases/{}", "/api/v1/search?q=" + CANARY + "&case={}"):
        hidden = api.get(template.format(world.case), headers=headers)
        absent = api.get(template.format(MISSING_ID), headers=headers)
        assert hidden.status_code == absent.status_code == 404, template
        assert hidden.json == absent.json, template
        assert CANARY.lower() not in hidden.get_data(as_text=True).lower()

    # Nothing suggests it either: the person lookup knows no such name.
    lookup = api.get("/api/v1/persons", query_string={"q": CANARY}, headers=headers)
    assert CANARY.lower() not in lookup.get_data(as_text=True).lower()


# ---------------------------------------------------------------------------------------
# Re-entering the password for break-glass
# ---------------------------------------------------------------------------------------


def test_break_glass_password_guessing_is_throttled(world_factory: Callable[..., World]) -> None:
    world = world_factory("caseworker", "other", web_login=False)
    url = f"/api/v1/cases/{world.case}/break-glass"
    wrong = {"reason": REASON, "password": "Wrong-Password-123"}
    for _ in range(5):
        response = world.api.post(url, json=wrong, headers=world.caller.headers)
        assert response.status_code in {403, 429}
    # Like the login's lock-out: after five failures even the right password must wait.
    right = world.api.post(url, json=_break_glass_body(), headers=world.caller.headers)
    assert right.status_code == 429


def test_break_glass_page_password_guessing_is_throttled(
    world_factory: Callable[..., World],
) -> None:
    world = world_factory("caseworker", "other")
    token = csrf(world.web.get("/break-glass/new").get_data(as_text=True))
    form = {"reference": world.reference, "reason": REASON, "csrf_token": token}
    for _ in range(5):
        response = world.web.post("/break-glass/new", data={**form, "password": "Wrong-Pass-123"})
        assert response.status_code in {403, 429}
    right = world.web.post("/break-glass/new", data={**form, "password": TEST_PASSWORD})
    assert right.status_code == 429


# ---------------------------------------------------------------------------------------
# The application's database role on PostgreSQL (docs/security.md, "PostgreSQL roles")
# ---------------------------------------------------------------------------------------


def app_role_grants(role: str, database: str) -> list[str]:
    """The statements docs/security.md gives the DBA, run after every ``ecase init``."""
    return [
        f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_checkpoints FROM {role}",
    ]


def _run_in_one_transaction(engine: Engine, statements: list[str]) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


@pytest.mark.postgres
def test_a_non_owner_application_role_cannot_alter_the_access_log(
    postgres_database: str, settings: Settings
) -> None:
    owner_url = make_url(postgres_database)
    role = f"ecase_app_{uuid.uuid4().hex[:10]}"
    password = "App-Role-Password-42"
    owner = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
        for statement in app_role_grants(role, owner_url.database or ""):
            conn.execute(text(statement))
    app_url = owner_url.set(username=role, password=password)
    app_engine = make_engine(app_url.render_as_string(hide_password=False))
    try:
        ctx = context_on(settings, app_engine)
        # The application works under the role: it appends events and signs checkpoints.
        users.create_team(ctx, None, "Rollentest")
        assert audit_log.write_checkpoint(ctx)
        for statements in (
            ["UPDATE audit_events SET reason = 'x'"],
            ["DELETE FROM audit_events"],
            ["TRUNCATE audit_events"],
            # The retention job's flag does not help a role without the privilege.
            ["SET LOCAL ecase.audit_retention = 'on'", "DELETE FROM audit_events"],
            ["DELETE FROM audit_checkpoints"],
        ):
            with pytest.raises(DBAPIError, match="permission denied"):
                _run_in_one_transaction(app_engine, statements)
        assert audit_log.verify_chain(ctx).ok
    finally:
        app_engine.dispose()
        with owner.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        owner.dispose()
        reset = make_engine(postgres_database)
        truncate_all(reset)
        reset.dispose()


@pytest.mark.postgres
def test_the_retention_flag_cannot_remove_the_newest_event(
    postgres_engine: Engine, settings: Settings
) -> None:
    engine = postgres_engine
    ctx = context_on(settings, engine)
    users.create_team(ctx, None, "Aufbewahrung")
    with engine.connect() as conn, conn.begin() as transaction:
        conn.execute(text("SET LOCAL ecase.audit_retention = 'on'"))
        try:
            deleted = conn.execute(
                text("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)")
            ).rowcount
        except DBAPIError:
            deleted = 0
        transaction.rollback()
    assert deleted == 0, "the newest event of the access log was deleted"
