"""Messages written by the services, kept English in the API and the database, shown in German.

The services run without Flask, and some of their messages are stored (a document's
status reason, a clerk's intake warning) long before anyone reads them, in whatever
language that reader prefers. So a message is marked with ``N_`` where it is written and
translated where it is shown: ``localise`` finds the marked template a stored message was
made from, translates the template and fills the values in again. ``pybabel`` extracts
``N_`` calls (see the Makefile's ``translations`` target).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TEMPLATES: dict[str, re.Pattern[str]] = {}
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def N_(message: str) -> str:  # noqa: N802 - the conventional name of gettext's no-op marker
    """Mark a message for extraction; templates with ``%(name)s`` become recognisable."""
    if "%(" in message and message not in _TEMPLATES:
        parts = _PLACEHOLDER.split(message)
        pattern = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
            for index, part in enumerate(parts)
        )
        _TEMPLATES[message] = re.compile(f"^{pattern}$", re.DOTALL)
    return message


def localise(message: str, translate: Callable[[str], str]) -> str:
    """The message in the reader's language, or unchanged when it was never marked."""
    translated = translate(message)
    if translated != message:
        return translated
    # Where several templates fit (one may end in a value that swallows another's tail),
    # the one with the most fixed text is the one the message was made from.
    best: tuple[int, str, dict[str, str]] | None = None
    for template, pattern in _TEMPLATES.items():
        match = pattern.match(message)
        if match:
            fixed = len(_PLACEHOLDER.sub("", template))
            if best is None or fixed > best[0]:
                best = (fixed, template, match.groupdict())
    if best is None:
        return message
    return translate(best[1]) % best[2]
