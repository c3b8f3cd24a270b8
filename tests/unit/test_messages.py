"""Service messages stored in English and shown in the reader's language."""

from __future__ import annotations

from ecase.domain.messages import N_, localise

TEMPLATE = N_("Separator sheet names unknown Aktenzeichen %(reference)s (test)")
CONSTANT = N_("The file is empty. (test)")
GERMAN = {
    TEMPLATE: "Das Trennblatt nennt das unbekannte Aktenzeichen %(reference)s (Test)",
    CONSTANT: "Die Datei ist leer. (Test)",
}


def german(message: str) -> str:
    return GERMAN.get(message, message)


def test_a_stored_message_is_translated_with_its_values() -> None:
    stored = TEMPLATE % {"reference": "MA-1234-2026-00017"}
    assert localise(stored, german) == (
        "Das Trennblatt nennt das unbekannte Aktenzeichen MA-1234-2026-00017 (Test)"
    )


def test_a_constant_message_is_translated() -> None:
    assert localise(CONSTANT, german) == "Die Datei ist leer. (Test)"


def test_values_with_markup_stay_text_and_unknown_messages_pass_through() -> None:
    stored = TEMPLATE % {"reference": "<b>x</b> %(evil)s"}
    # The value is put back as it was; escaping is the template engine's job.
    assert localise(stored, german).endswith("<b>x</b> %(evil)s (Test)")
    assert localise("Something nobody marked", german) == "Something nobody marked"
