"""SQLAlchemy 2 typed mappings of the domain; importing this registers every table."""

from ecase.models.audit import AuditCheckpoint, AuditEvent, AuditHead
from ecase.models.base import Base
from ecase.models.cases import BreakGlassGrant, CaseFile, FilePlanEntry, ReferenceCounter
from ecase.models.documents import DerivedFile, Document, DocumentPage, DocumentVersion
from ecase.models.notes import CaseNote, RecentCaseView
from ecase.models.people import Person, PersonAlias
from ecase.models.scanning import ScanBatch
from ecase.models.users import ApiToken, Team, User, UserSession, team_members

__all__ = [
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "Base",
    "BreakGlassGrant",
    "CaseFile",
    "CaseNote",
    "DerivedFile",
    "Document",
    "DocumentPage",
    "DocumentVersion",
    "FilePlanEntry",
    "Person",
    "PersonAlias",
    "RecentCaseView",
    "ReferenceCounter",
    "ScanBatch",
    "Team",
    "User",
    "UserSession",
    "team_members",
]
