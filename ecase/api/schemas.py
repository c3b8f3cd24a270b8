"""Request and response shapes of the API; they are also what the OpenAPI document shows."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

# Ids and numbers beyond 64 bits cannot be stored; refuse them at the door (422).
ID_RANGE = validate.Range(min=1, max=2**63 - 1)


class PersonCreateSchema(Schema):
    family_name = fields.String(required=True, validate=validate.Length(max=200))
    given_names = fields.String(load_default="", validate=validate.Length(max=200))
    birth_date = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "ISO date; null when the birth date is unknown"},
    )
    nationality = fields.String(
        load_default=None, allow_none=True, metadata={"description": "ISO 3166 alpha-3, e.g. SYR"}
    )
    azr_number = fields.String(load_default=None, allow_none=True)
    aliases = fields.List(
        fields.String(validate=validate.Length(max=400)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "other spellings and former names"},
    )


class AliasSchema(Schema):
    name = fields.String()
    kind = fields.String()


class PersonSchema(Schema):
    id = fields.Integer()
    family_name = fields.String()
    given_names = fields.String()
    birth_date = fields.Date(allow_none=True)
    nationality = fields.String(allow_none=True)
    azr_number = fields.String(allow_none=True)
    aliases = fields.List(fields.Nested(AliasSchema))
    created_at = fields.DateTime()


class PersonCreatedSchema(PersonSchema):
    possible_duplicates = fields.List(
        fields.Integer(),
        metadata={
            "description": "ids of persons born the same day whose names match; "
            "the office decides whether they are the same person"
        },
    )


class PersonQuerySchema(Schema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "name words in any spelling, a birth date (04.03.1990 or "
            "1990-03-04) or year, an AZR number, or an Aktenzeichen"
        },
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PersonMatchSchema(PersonSchema):
    """A person as found by the search: the person's fields plus why and how well."""

    _MATCH_FIELDS = frozenset({"score", "reasons", "possible_duplicate_of"})

    score = fields.Float(metadata={"description": "0..1, best first"})
    reasons = fields.List(
        fields.String(),
        metadata={"description": "e.g. 'Name (phonetisch): Muhammad ≈ Mohammed', 'AZR-Nummer: …'"},
    )
    possible_duplicate_of = fields.List(
        fields.Integer(),
        metadata={"description": "ids of persons born the same day whose names match"},
    )

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        source = obj if attr in self._MATCH_FIELDS else obj.person
        return super().get_attribute(source, attr, default)


class PersonListSchema(Schema):
    persons = fields.List(fields.Nested(PersonMatchSchema))


class CaseCreateSchema(Schema):
    person_id = fields.Integer(required=True, strict=True, validate=ID_RANGE)
    subject = fields.String(required=True, validate=validate.Length(max=500))
    team = fields.String(load_default=None, allow_none=True)
    file_plan = fields.String(load_default=None, allow_none=True)
    reference = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "only for files taken over from paper; normally generated"},
    )


class DocumentSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    title = fields.String()
    doc_type = fields.String()
    received_on = fields.Date()
    source = fields.String()
    status = fields.String(metadata={"description": "received | processing | ready | failed"})
    error = fields.String(attribute="status_reason", allow_none=True)
    page_count = fields.Integer(allow_none=True)
    sha256 = fields.String()
    size = fields.Integer()
    media_type = fields.String()
    filename = fields.String(attribute="original_filename")
    version = fields.Integer()
    created_at = fields.DateTime()


class CaseSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    person_id = fields.Integer()
    person = fields.Nested(PersonSchema)
    subject = fields.String()
    file_plan = fields.String()
    team = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    documents = fields.List(fields.Nested(DocumentSchema))


class CasePatchSchema(Schema):
    subject = fields.String(validate=validate.Length(min=1, max=500))
    assignee = fields.String(
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "user name of a member of the file's team; null or '' removes"},
    )


class DocumentPatchSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=300))
    doc_type = fields.String(validate=validate.Length(max=60))
    received_on = fields.Date()


class NoteCreateSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class NoteSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    author = fields.String()
    body = fields.String()
    created_at = fields.DateTime()


class NoteListSchema(Schema):
    notes = fields.List(fields.Nested(NoteSchema), metadata={"description": "newest first"})


class UploadAcceptedSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    media_type = fields.String()


class HealthSchema(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())


class PageTextSchema(Schema):
    number = fields.Integer()
    text = fields.String()
    source = fields.String(metadata={"description": "text-layer | ocr"})
    rotation = fields.Integer()
    confidence = fields.Float(allow_none=True)


class DocumentTextSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    page_count = fields.Integer(allow_none=True)
    text = fields.String(metadata={"description": "all pages, separated by form feeds"})
    pages = fields.List(fields.Nested(PageTextSchema))


class SearchArgsSchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=500))
    case = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE)
    doc_type = fields.String(load_default=None, allow_none=True)
    received_from = fields.Date(load_default=None, allow_none=True)
    received_to = fields.Date(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000))


class SearchHitSchema(Schema):
    document_id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    title = fields.String()
    snippet = fields.String(metadata={"description": "HTML-escaped; matches wrapped in <mark>"})
    score = fields.Float()


class SearchResultSchema(Schema):
    total = fields.Integer()
    hits = fields.List(fields.Nested(SearchHitSchema))


class AuditArgsSchema(Schema):
    case = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE)
    user = fields.String(load_default=None, allow_none=True, metadata={"description": "username"})
    person = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE)
    action = fields.String(load_default=None, allow_none=True)
    since = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None)
    until = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None)
    flagged = fields.Boolean(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


class AuditEventSchema(Schema):
    seq = fields.Integer()
    at = fields.DateTime()
    user = fields.String(attribute="username")
    role = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.Integer(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    document_id = fields.Integer(allow_none=True)
    outcome = fields.String()
    reason = fields.String()
    flagged = fields.Boolean()
    client_address = fields.String()
    hash = fields.String()


class AuditListSchema(Schema):
    events = fields.List(fields.Nested(AuditEventSchema))


class BreakGlassRequestSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))


class BreakGlassSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    user = fields.String(attribute="username")
    reason = fields.String()
    granted_at = fields.DateTime()
    expires_at = fields.DateTime()
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_note = fields.String()


class BreakGlassListArgsSchema(Schema):
    pending = fields.Boolean(load_default=True)


class BreakGlassListSchema(Schema):
    grants = fields.List(fields.Nested(BreakGlassSchema))


class BreakGlassReviewSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class UnusualArgsSchema(Schema):
    days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=90))


class FindingSchema(Schema):
    kind = fields.String(metadata={"description": "break-glass | mass-opening | outside-hours"})
    user = fields.String(attribute="username")
    at = fields.DateTime()
    count = fields.Integer()
    detail = fields.String()


class FindingListSchema(Schema):
    findings = fields.List(fields.Nested(FindingSchema))


class PageImageSchema(Schema):
    """One page of a document as the viewer shows it (documents/{id}/pages)."""

    number = fields.Integer()
    width = fields.Integer(
        allow_none=True, metadata={"description": "pixels of the page image; null until rendered"}
    )
    height = fields.Integer(allow_none=True)
    image_url = fields.String(
        allow_none=True, metadata={"description": "WebP, ~1200 px wide; null until rendered"}
    )
    thumb_url = fields.String(allow_none=True, metadata={"description": "WebP, 180 px wide"})
    text_source = fields.String(metadata={"description": "ocr | text-layer"})


class SplitLogEntrySchema(Schema):
    """The decision for one page of a scan batch."""

    page = fields.Integer()
    kind = fields.String(metadata={"description": "separator | page"})
    payload = fields.String(metadata={"description": "the separator's QR text, else empty"})
    reference = fields.String(allow_none=True)
    document = fields.Integer(allow_none=True, metadata={"description": "1-based, in the batch"})
    document_id = fields.Integer(allow_none=True)
    note = fields.String()


class BatchDocumentSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    case_id = fields.Integer(allow_none=True)
    reference = fields.String(allow_none=True)
    pages = fields.List(fields.Integer(), metadata={"description": "page numbers in the batch"})
    sha256 = fields.String()
    duplicate_of_id = fields.Integer(allow_none=True)
    intake_warning = fields.String(allow_none=True)
    status = fields.String()


class ScanBatchSchema(Schema):
    """A scan batch and its protocol (BSI TR-RESISCAN)."""

    id = fields.Integer()
    channel = fields.String(metadata={"description": "hotfolder | upload"})
    profile = fields.String()
    resolution_dpi = fields.Integer(allow_none=True)
    colour_mode = fields.String()
    source_filename = fields.String()
    source_sha256 = fields.String()
    source_size = fields.Integer()
    media_type = fields.String()
    page_count = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "received | splitting | done | failed"})
    status_reason = fields.String(allow_none=True)
    scanned_by = fields.String(allow_none=True)
    received_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    duplicate_of_id = fields.Integer(allow_none=True)
    quality_check = fields.String(allow_none=True, metadata={"description": "sampled | complete"})
    quality_checked_by = fields.String(allow_none=True)
    quality_checked_at = fields.DateTime(allow_none=True)
    quality_note = fields.String()
    split_log = fields.List(fields.Nested(SplitLogEntrySchema))
    documents = fields.List(fields.Nested(BatchDocumentSchema))


class ScanBatchListSchema(Schema):
    batches = fields.List(fields.Nested(ScanBatchSchema))


class ScanBatchArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class QualityCheckSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(["sampled", "complete"]))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
