"""The closed vocabularies of the domain, stored by their value."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLERK = "clerk"
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DocumentStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class PipelineStep(StrEnum):
    """What the ingest pipeline still has to do for a document (``Document.step``).

    A domain word rather than the pipeline's own constant, so that filing, editing and
    re-indexing can hand a document back to the pipeline without importing it.
    """

    EXTRACT = "extract"
    INDEX = "index"
    DONE = "done"


class DocumentSource(StrEnum):
    SCAN = "scan"
    UPLOAD = "upload"
    PORTAL = "portal"
    API = "api"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
