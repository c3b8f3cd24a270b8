"""Request and response shapes of the API; they are also what the OpenAPI document shows."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


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


class PersonQuerySchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PersonListSchema(Schema):
    persons = fields.List(fields.Nested(PersonSchema))


class CaseCreateSchema(Schema):
    person_id = fields.Integer(required=True, strict=True)
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


class UploadAcceptedSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    media_type = fields.String()


class HealthSchema(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())
