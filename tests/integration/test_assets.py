"""Static files: fingerprinted names cached for a year, plain names revalidated, fakes 404."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli  # type: ignore[import-untyped]  # ships no type information
import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from ecase.http import assets as assets_module
from ecase.http.assets import IMMUTABLE, fingerprinted_name, scan
from tests.conftest import StaffUser
from tests.support.web import login

STATIC = Path(__file__).resolve().parents[2] / "ecase" / "static"
CSS = (STATIC / "ecase.css").read_bytes()
CSS_HASH = hashlib.sha256(CSS).hexdigest()[:12]
STALE_HASH = CSS_HASH[:-1] + ("1" if CSS_HASH.endswith("0") else "0")


def test_templates_link_the_fingerprinted_stylesheet(
    client: FlaskClient, caseworker: StaffUser
) -> None:
    for html in (
        client.get("/login").get_data(as_text=True),
        client.get(login(client, caseworker)).get_data(as_text=True),
    ):
        assert f'href="/static/ecase.{CSS_HASH}.css"' in html
        assert 'href="/static/ecase.css"' not in html


def test_fingerprinted_asset_is_immutable_for_a_year(client: FlaskClient) -> None:
    response = client.get(f"/static/ecase.{CSS_HASH}.css")
    assert response.status_code == 200
    assert response.get_data() == CSS
    assert response.mimetype == "text/css"
    assert response.headers["Cache-Control"] == IMMUTABLE
    # The security headers still apply to static answers.
    assert "Content-Security-Policy" in response.headers


def test_plain_name_still_works_but_revalidates(client: FlaskClient) -> None:
    response = client.get("/static/ecase.css")
    assert response.status_code == 200
    assert response.get_data() == CSS
    assert "immutable" not in response.headers["Cache-Control"]
    assert re.fullmatch(r"public, max-age=\d{1,3}", response.headers["Cache-Control"])
    etag = response.headers["ETag"]
    again = client.get("/static/ecase.css", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


@pytest.mark.parametrize(
    "path",
    [
        "/static/ecase.000000000000.css",
        f"/static/ecase.{STALE_HASH}.css",
        f"/static/ecase.{CSS_HASH}.js",
        f"/static/other.{CSS_HASH}.css",
        "/static/missing.css",
        "/static/../app.py",
        "/static/%2e%2e/app.py",
    ],
)
def test_unknown_or_stale_fingerprints_are_not_found(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_assets_are_served_precompressed(client: FlaskClient) -> None:
    url = f"/static/ecase.{CSS_HASH}.css"
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == CSS
    best = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert best.headers["Content-Encoding"] == "br"
    assert brotli.decompress(best.get_data()) == CSS
    refused = client.get(url, headers={"Accept-Encoding": "br;q=0, gzip"})
    assert refused.headers["Content-Encoding"] == "gzip"
    # Each encoding is a representation of its own: caches must not mix their validators.
    etags = {r.headers["ETag"] for r in (packed, best, client.get(url))}
    assert len(etags) == 3
    for response in (packed, best):
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == IMMUTABLE


def test_fingerprints_are_computed_at_startup_from_the_bytes(tmp_path: Path, app: Flask) -> None:
    folder = tmp_path / "static"
    (folder / "js").mkdir(parents=True)
    (folder / "js" / "viewer.js").write_text("export const a = 1;\n")
    (folder / "LICENSE").write_text("MIT\n")
    assets = scan(folder)
    digest = hashlib.sha256(b"export const a = 1;\n").hexdigest()[:12]
    assert assets["js/viewer.js"].fingerprinted == f"js/viewer.{digest}.js"
    assert assets["js/viewer.js"].mimetype == "text/javascript"
    assert assets["LICENSE"].fingerprinted.startswith("LICENSE.")
    assert fingerprinted_name("a.b.css", "0123456789ab") == "a.b.0123456789ab.css"
    with app.test_request_context():
        assert url_for("static", filename="ecase.css") == f"/static/ecase.{CSS_HASH}.css"


def test_url_for_leaves_unknown_files_and_other_endpoints_alone(app: Flask) -> None:
    with app.test_request_context():
        assert url_for("static", filename="not-there.css") == "/static/not-there.css"
        assert url_for("account.login") == "/login"


def test_large_files_are_streamed_from_disk_under_the_same_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assets_module, "IN_MEMORY_LIMIT", 10)
    folder = tmp_path / "static"
    folder.mkdir()
    body = b"// vendor bundle\n" * 100
    (folder / "vendor.js").write_bytes(body)
    app = Flask("probe", static_folder=str(folder))
    served = assets_module.init_app(app)
    assert served.by_path["vendor.js"].body is None
    digest = hashlib.sha256(body).hexdigest()
    client = app.test_client()
    with app.test_request_context():
        url = url_for("static", filename="vendor.js")
    assert url == f"/static/vendor.{digest[:12]}.js"
    response = client.get(url)
    assert response.status_code == 200
    assert response.get_data() == body
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert client.get(url, headers={"If-None-Match": f'"{digest}"'}).status_code == 304
    assert client.head("/static/vendor.js").status_code == 200
    response.close()
