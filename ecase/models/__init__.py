"""SQLAlchemy 2 typed mappings of the domain; importing this registers every table."""

from ecase.models.audit import AuditEvent, AuditHead
from ecase.models.base import Base
from ecase.models.cases import CaseFile, FilePlanEntry, ReferenceCounter
from ecase.models.documents import Document, DocumentVersion
from ecase.models.people import Person, PersonAlias
from ecase.models.users import ApiToken, Team, User, team_members

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Base",
    "CaseFile",
    "Document",
    "DocumentVersion",
    "FilePlanEntry",
    "Person",
    "PersonAlias",
    "ReferenceCounter",
    "Team",
    "User",
    "team_members",
]
