"""Checks that storage and database agree: every referenced blob present and intact."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from ecase.models import DerivedFile, DocumentVersion
from ecase.services.context import Context
from storage import VerifyReport, verify_store


def referenced_blob_keys(ctx: Context) -> set[str]:
    with ctx.uow() as uow:
        originals = set(uow.session.execute(select(DocumentVersion.sha256)).scalars())
        derived = set(uow.session.execute(select(DerivedFile.sha256)).scalars())
    return originals | derived


def verify_storage(
    ctx: Context, progress: Callable[[int, int | None], None] | None = None
) -> VerifyReport:
    return verify_store(ctx.blobs, referenced_blob_keys(ctx), progress=progress)


def check_ready(ctx: Context) -> dict[str, str]:
    """Probe each backing service; the values say ``ok`` or what is wrong (no secrets)."""
    results: dict[str, str] = {}
    try:
        with ctx.uow() as uow:
            uow.session.execute(select(1))
        results["database"] = "ok"
    except Exception as exc:
        results["database"] = f"unavailable: {type(exc).__name__}"
    try:
        ctx.blobs.check()
        results["storage"] = "ok"
    except Exception as exc:
        results["storage"] = f"unavailable: {type(exc).__name__}"
    return results
