"""A demo office: teams, one user per role, persons with variant spellings, files and letters.

Everything goes through the real services (audited, policy-checked where an actor acts)
and the real pipeline, so a newcomer sees what an office would see after a few weeks.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from ecase.domain.enums import DocumentSource
from ecase.domain.errors import ConflictError
from ecase.domain.messages import N_
from ecase.services.access import users
from ecase.services.casefile import cases, documents, persons
from ecase.services.context import Context

TEAMS = ("Sachgebiet 31 – Aufenthalt", "Sachgebiet 32 – Einbürgerung")
ACCOUNTS = (
    ("post", "clerk", ()),
    ("sb31", "caseworker", (TEAMS[0],)),
    ("sb32", "caseworker", (TEAMS[1],)),
    ("sgl31", "supervisor", (TEAMS[0],)),
    ("dsb", "auditor", ()),
)
# Family names with the spellings they reach the office in (passports, forms, transcriptions).
FAMILIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Al-Hassan", ("Alhassan", "El Hassan"), "SYR"),
    ("Al-Khatib", ("Alkhatib", "El-Khateeb"), "SYR"),
    ("Haddad", ("Hadad",), "SYR"),
    ("Rahimi", ("Rahimy",), "AFG"),
    ("Ahmadzai", ("Ahmadsai",), "AFG"),
    ("Kovalenko", ("Kowalenko",), "UKR"),
    ("Shevchenko", ("Schewtschenko", "Ševčenko"), "UKR"),
    ("Yılmaz", ("Yilmaz", "Jilmas"), "TUR"),
    ("Öztürk", ("Oeztuerk", "Ozturk"), "TUR"),
    ("Tesfaye", ("Tesfay",), "ERI"),
    ("Okafor", ("Okaforr",), "NGA"),
    ("Nowak", ("Novak",), "POL"),
    ("Müller", ("Mueller",), "AUT"),
    ("Hosseini", ("Husseini", "Hoseyni"), "IRN"),
    ("Abdullahi", ("Abdullahy",), "SOM"),
)
GIVEN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Mohammed", ("Muhammad", "Mohamad")),
    ("Yusuf", ("Youssef", "Jussuf")),
    ("Fatima", ("Fatma", "Fatemeh")),
    ("Aisha", ("Aischa", "Ayesha")),
    ("Oleksandr", ("Olexandr", "Alexandr")),
    ("Olena", ("Elena", "Jelena")),
    ("Hüseyin", ("Hussein", "Husain")),
    ("Mustafa", ("Mustapha", "Moustafa")),
    ("Zainab", ("Zaynab", "Sainab")),
    ("Ibrahim", ("Ebrahim", "İbrahim")),
    ("Serhiy", ("Serhii", "Sergej")),
    ("Amina", ("Aminah",)),
    ("Chidi", ("Chidiebere",)),
    ("Anna", ("Ana",)),
    ("Omar", ("Umar", "Ömer")),
)
SUBJECTS = (
    "Aufenthaltserlaubnis § 16b AufenthG (Studium)",
    "Aufenthaltserlaubnis § 18b AufenthG (Fachkräfte)",
    "Niederlassungserlaubnis § 9 AufenthG",
    "Familiennachzug § 30 AufenthG",
    "Duldung § 60a AufenthG",
    "Einbürgerung § 10 StAG",
)
LETTER_TYPES = ("Antrag", "Nachweis", "Bescheid", "Schreiben", "Meldebescheinigung")


@dataclass(frozen=True, slots=True)
class DemoReport:
    users: tuple[tuple[str, str], ...]
    persons: int
    cases: int
    documents: int


def load_demo(
    ctx: Context,
    password: str,
    *,
    persons_count: int = 300,
    letters: int = 36,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> DemoReport:
    """Create the demo office once; a second run refuses rather than duplicating it."""
    rng = random.Random(seed)  # noqa: S311  # demo data, not security
    for team in TEAMS:
        users.create_team(ctx, None, team)
    try:
        for username, role, teams in ACCOUNTS:
            users.create_user(ctx, None, username, role, password, teams=teams)
    except ConflictError as exc:
        raise ConflictError(N_("The demo office is loaded already.")) from exc
    caseworkers = [users.get_actor(ctx, "sb31"), users.get_actor(ctx, "sb32")]
    clerk = users.get_actor(ctx, "post")
    total = persons_count + letters
    case_refs: list[tuple[int, str, str, str]] = []
    for i in range(persons_count):
        family, family_variants, nationality = rng.choice(FAMILIES)
        given, given_variants = rng.choice(GIVEN)
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 16_000))
        aliases = (
            [f"{rng.choice(given_variants)} {rng.choice(family_variants)}"]
            if rng.random() < 0.6
            else []
        )
        actor = caseworkers[i % 2]
        person = persons.create_person(
            ctx,
            actor,
            persons.NewPerson(
                family_name=family,
                given_names=given,
                birth_date=birth,
                nationality=nationality,
                azr_number=f"{rng.randrange(10**11, 10**12)}" if rng.random() < 0.7 else None,
                aliases=aliases,
            ),
        )
        subject = SUBJECTS[-1] if actor is caseworkers[1] else rng.choice(SUBJECTS[:-1])
        case = cases.create_case(ctx, actor, cases.NewCase(person.id, subject, team=TEAMS[i % 2]))
        case_refs.append((case.id, case.reference, f"{given} {family}", birth.strftime("%d.%m.%Y")))
        if progress:
            progress(i + 1, total)
    for n in range(letters):
        case_id, reference, name, born = rng.choice(case_refs)
        kind = LETTER_TYPES[n % len(LETTER_TYPES)]
        data, filename = _letter(n, kind, reference, f"{name}, geboren am {born}")
        upload = documents.Upload(
            io.BytesIO(data),
            filename,
            title=f"{kind} {name}",
            doc_type=kind,
            source=DocumentSource.SCAN if filename.endswith("scan.pdf") else DocumentSource.UPLOAD,
        )
        documents.add_document(ctx, clerk, case_id, upload)
        if progress:
            progress(persons_count + n + 1, total)
    return DemoReport(
        users=tuple((u, r) for u, r, _ in ACCOUNTS),
        persons=persons_count,
        cases=len(case_refs),
        documents=letters,
    )


def _letter(n: int, kind: str, reference: str, who: str) -> tuple[bytes, str]:
    """A typed letter (text layer) or a scan of it, every fifth scan upside down."""
    from ocr import samples  # noqa: PLC0415  # Pillow and pypdf only when demo letters are made

    lines = [
        "Landratsamt Musterkreis – Ausländerbehörde",
        f"Aktenzeichen: {reference}",
        f"{kind} betreffend {who}",
        "",
        *samples.letter_lines(1, paragraphs=2)[2:],
    ]
    if n % 3 == 0:
        return samples.text_pdf([lines]), f"{kind.lower()}-{n}.pdf"
    page = samples.render_page(lines, dpi=200)
    if n % 5 == 1:
        page = page.rotate(180)
    return samples.image_pdf([page], dpi=200), f"{kind.lower()}-{n}-scan.pdf"
