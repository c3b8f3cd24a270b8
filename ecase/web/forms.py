"""Forms of the pages; Flask-WTF adds the CSRF token to each."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp


class LoginForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type information
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class UploadForm(FlaskForm):  # type: ignore[misc]
    file = FileField(_l("File"), validators=[FileRequired()])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    doc_type = StringField(_l("Document type"), validators=[Optional(), Length(max=60)])


class CodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])


class PasswordChangeForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The passwords differ."))],
    )


class ReviewForm(FlaskForm):  # type: ignore[misc]
    grant_id = HiddenField(validators=[DataRequired(), Regexp(r"^\d+$")])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])


class BreakGlassForm(FlaskForm):  # type: ignore[misc]
    reference = StringField(
        _l("Aktenzeichen"),
        validators=[DataRequired(message=_l("Please type an Aktenzeichen.")), Length(max=64)],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Please give the reason.")), Length(max=2000)],
    )
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(message=_l("Please enter your password."))]
    )


class NoteForm(FlaskForm):  # type: ignore[misc]
    body = TextAreaField(
        _l("New note"),
        validators=[
            DataRequired(message=_l("A note needs some text.")),
            Length(max=10_000, message=_l("The note is too long (10,000 characters).")),
        ],
    )


class CaseEditForm(FlaskForm):  # type: ignore[misc]
    subject = StringField(
        _l("Subject"),
        validators=[
            DataRequired(message=_l("A case file needs a subject.")),
            Length(max=500, message=_l("The subject is too long (500 characters).")),
        ],
    )
    # Choices are the file team's members, filled in by the view; "" means nobody. The
    # service checks membership (the team may have changed since the page was rendered).
    assignee = SelectField(_l("Assigned to"), choices=[], validate_choice=False)


class DocumentEditForm(FlaskForm):  # type: ignore[misc]
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("A document needs a title.")),
            Length(max=300, message=_l("The title is too long (300 characters).")),
        ],
    )
    doc_type = StringField(
        _l("Document type"),
        validators=[
            Optional(),
            Length(max=60, message=_l("The document type is too long (60 characters).")),
        ],
    )
    received_on = DateField(
        _l("Received on"),
        validators=[DataRequired(message=_l("Please enter the date as YYYY-MM-DD."))],
    )
