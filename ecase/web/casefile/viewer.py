"""The document viewer: page images with their text, hit highlighting, and the downloads.

Built for a slow VPN line: the page lists image sizes so the browser lays out every page
before any image loads, images load lazily, and the HTML carries the text of one window of
pages only (``WINDOW`` pages), so a 300-page file opens as fast as a 3-page one.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from ecase.http.auth import current_actor
from ecase.http.context import service_context
from ecase.http.downloads import attachment_response
from ecase.services.casefile import page_images

bp = Blueprint("viewer", __name__)

#: Pages whose text and image frame are in one HTML answer; the thumbnail rail reaches
#: the others. 20 pages of dense OCR text are about 60 KB of HTML.
WINDOW = 20
#: Page images are immutable (named by their SHA-256), but they are personal data on a
#: home-office machine: kept in the private browser cache for a working day, not a year.
IMAGE_MAX_AGE = 12 * 3600


def window_start(number: int) -> int:
    """The first page of the window that shows page ``number``."""
    return (max(number, 1) - 1) // WINDOW * WINDOW + 1


@bp.route("/documents/<int:document_id>")
def document(document_id: int) -> str:
    query = request.args.get("q", "")
    view = page_images.get_viewer(service_context(), current_actor(), document_id, query)
    total = len(view.pages)
    start = window_start(request.args.get("page", 1, type=int) or 1)
    if start > total:
        start = window_start(total) if total else 1
    shown = view.pages[start - 1 : start - 1 + WINDOW]
    hits = view.hit_pages
    next_hit = {page: next((h for h in hits if h > page), None) for page in hits}
    return render_template(
        "viewer.html",
        view=view,
        shown=shown,
        start=start,
        window=WINDOW,
        total=total,
        hits=hits,
        next_hit=next_hit,
        window_start=window_start,
    )


def _image_response(document_id: int, number: int, *, thumb: bool) -> Response:
    image, data = page_images.read_page_image(
        service_context(), current_actor(), document_id, number, thumb=thumb
    )
    response = Response(data, mimetype=image.media_type)
    response.set_etag(image.sha256)
    response.cache_control.private = True
    response.cache_control.max_age = IMAGE_MAX_AGE
    response.cache_control.immutable = True
    response.make_conditional(request)
    return response


@bp.route("/documents/<int:document_id>/pages/<int:number>/image")
def page_image(document_id: int, number: int) -> Response:
    return _image_response(document_id, number, thumb=False)


@bp.route("/documents/<int:document_id>/pages/<int:number>/thumb")
def page_thumb(document_id: int, number: int) -> Response:
    return _image_response(document_id, number, thumb=True)


@bp.route("/documents/<int:document_id>/searchable.pdf")
def searchable_pdf(document_id: int) -> Response:
    content, stream = page_images.open_searchable_pdf(
        service_context(), current_actor(), document_id
    )
    return attachment_response(content, stream)
