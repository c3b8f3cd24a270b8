"""Every page a person works with meets the structural rules of accessibility (WCAG 2.1 A/AA).

Checked on the rendered HTML of each page, for each role that uses it: the page's
language, one main heading, a main landmark, a label for every form field, a text
alternative for every image, a name for every button and link, and no duplicate ids (a
``label for`` would point to the wrong field). Contrast and keyboard order are reviewed by
hand (docs/guides) and walked in the browser tests.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from flask import Flask

from ecase.services.casefile import page_images
from ecase.services.context import Context
from ecase.services.intake import pipeline
from ocr import FakePageRenderer
from tests.conftest import StaffUser
from tests.support.fakes import ScriptedExtractor
from tests.support.files import minimal_pdf
from tests.support.web import login

FIELDS = {"input", "select", "textarea"}
UNLABELLED_INPUTS = {"hidden", "submit", "button", "reset", "image"}


class _Page(HTMLParser):
    """Collects what the rules below need, in one pass over the page."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.h1 = 0
        self.main = 0
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[dict[str, str]] = []
        self.images: list[dict[str, str]] = []
        self.open_label = 0
        self.fields_in_label: list[dict[str, str]] = []
        self.named: list[tuple[str, dict[str, str], list[str]]] = []  # button/a with text
        self._stack: list[tuple[str, dict[str, str], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "main":
            self.main += 1
        elif tag == "label":
            self.open_label += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in FIELDS and a.get("type", "") not in UNLABELLED_INPUTS:
            (self.fields_in_label if self.open_label else self.fields).append(a)
        elif tag == "img":
            self.images.append(a)
            for _tag, _attrs, text in self._stack:
                text.append(a.get("alt", ""))  # an image's alt names the link around it
        if tag in {"button", "a"}:
            self._stack.append((tag, a, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_label = max(0, self.open_label - 1)
        if tag in {"button", "a"} and self._stack and self._stack[-1][0] == tag:
            self.named.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        for _tag, _attrs, text in self._stack:
            text.append(data)


def problems(html: str) -> list[str]:
    page = _Page()
    page.feed(html)
    found = []
    if page.lang not in {"de", "en"}:
        found.append(f"html lang is {page.lang!r}")
    if page.h1 != 1:
        found.append(f"{page.h1} h1 headings")
    if page.main != 1:
        found.append(f"{page.main} main landmarks")
    duplicates = sorted({i for i in page.ids if page.ids.count(i) > 1})
    if duplicates:
        found.append(f"duplicate ids {duplicates}")
    for field in page.fields:
        if not (field.get("id") in page.label_for or field.get("aria-label")):
            found.append(f"field without label: {field}")
    for image in page.images:
        if "alt" not in image:
            found.append(f"image without alt: {image.get('src')}")
    for tag, attrs, text in page.named:
        if tag == "a" and "href" not in attrs:
            continue
        if not ("".join(text).strip() or attrs.get("aria-label") or attrs.get("title")):
            found.append(f"{tag} without a name: {attrs}")
    return found


@pytest.fixture
def office(
    ctx: Context,
    app: Flask,
    make_user: Callable[..., StaffUser],
    extractor: ScriptedExtractor,
) -> dict[str, object]:
    """A caseworker's file with a ready document, an inbox document, and one user per role."""
    caseworker = make_user("caseworker", ("Team A",), name="erika")
    client = app.test_client()
    person = client.post(
        "/api/v1/persons",
        json={"family_name": "Haddad", "given_names": "Mohammed", "birth_date": "1990-03-04"},
        headers=caseworker.headers,
    ).json
    case = client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "subject": "Aufenthaltserlaubnis"},
        headers=caseworker.headers,
    ).json
    extractor.pages = ("Mietvertrag für Herrn Mohammed Haddad, Lindenstrasse 12",)
    doc = client.post(
        f"/api/v1/cases/{case['id']}/documents",
        data={"file": (io.BytesIO(minimal_pdf()), "scan.pdf"), "title": "Mietvertrag"},
        headers=caseworker.headers,
        content_type="multipart/form-data",
    ).json
    assert pipeline.process_document(ctx, doc["id"]).status == "ready"
    clerk = make_user("clerk", ("Posteingang",), name="clara")
    inbox = client.post(
        "/api/v1/inbox",
        data={"file": (io.BytesIO(minimal_pdf()), "post.pdf")},
        headers=clerk.headers,
        content_type="multipart/form-data",
    ).json
    pipeline.process_document(ctx, inbox["id"])
    renderer = replace(ctx, page_renderer=FakePageRenderer())
    for document_id in (doc["id"], inbox["id"]):  # thumbnails and page images need alt texts
        page_images.render_document_pages(renderer, document_id)
    return {
        "caseworker": caseworker,
        "clerk": clerk,
        "supervisor": make_user("supervisor", ("Team A",), name="sabine"),
        "auditor": make_user("auditor", (), name="dora"),
        "case": case["id"],
        "doc": doc["id"],
    }


PAGES = {
    "caseworker": (
        "/",
        "/persons?q=Muhammad+Hadad",
        "/cases/{case}",
        "/cases/{case}?order=type",
        "/documents/{doc}?q=Lindenstrasse",
        "/documents/{doc}/edit",
        "/search?q=Mietvertrag",
        "/break-glass/new",
        "/account/password",
    ),
    "clerk": ("/", "/inbox", "/inbox/upload", "/scan-batches"),
    "supervisor": ("/", "/audit", "/audit/unusual", "/break-glass"),
    "auditor": ("/", "/audit"),
}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_working_page_is_structurally_accessible(
    app: Flask, office: dict[str, object], lang: str
) -> None:
    assert app.test_client().get("/login").status_code == 200
    report = {}
    login_page = app.test_client().get(f"/login?lang={lang}").get_data(as_text=True)
    if found := problems(login_page):
        report["/login"] = found
    for role, paths in PAGES.items():
        client = app.test_client()
        user = office[role]
        assert isinstance(user, StaffUser)
        login(client, user)
        client.get(f"/?lang={lang}")
        for template in paths:
            path = template.format(case=office["case"], doc=office["doc"])
            response = client.get(path)
            assert response.status_code == 200, f"{role} {path}: {response.status_code}"
            if found := problems(response.get_data(as_text=True)):
                report[f"{role} {path}"] = found
    assert report == {}


def test_the_checker_finds_what_it_looks_for() -> None:
    broken = (
        '<html><body><h1>a</h1><h1>b</h1><input id="x" name="q"><img src="p.png">'
        '<button></button><a href="/"></a><p id="d"></p><p id="d"></p></body></html>'
    )
    found = problems(broken)
    assert "html lang is ''" in found
    assert "2 h1 headings" in found
    assert "0 main landmarks" in found
    assert "duplicate ids ['d']" in found
    assert any(p.startswith("field without label") for p in found)
    assert "image without alt: p.png" in found
    assert sum(p.startswith(("button without", "a without")) for p in found) == 2
