"""The composition root: the only module that picks concrete adapters for the ports."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from ecase.config import Settings
from ecase.db import make_engine, make_session_factory, normalise_database_url
from ecase.domain.reference import ReferenceScheme
from ecase.services.context import Context, DocumentDispatcher
from ocr import (
    BatchSplitter,
    Extractor,
    Limits,
    PageRenderer,
    PdfiumPageRenderer,
    SandboxedBatchSplitter,
    TesseractExtractor,
)
from search import SearchIndex
from search.url import open_search_index
from storage import BlobStore
from storage.url import open_blob_store

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def build_blob_store(settings: Settings) -> BlobStore:
    return open_blob_store(
        settings.storage_url,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
    )


def build_extractor(settings: Settings) -> Extractor:
    return TesseractExtractor(
        languages=settings.ocr_languages,
        processes=settings.ocr_processes or os.cpu_count() or 1,
        limits=Limits(),
    )


def build_search_index(settings: Settings, *, reset_incompatible: bool = False) -> SearchIndex:
    return open_search_index(settings.search_url, reset_incompatible=reset_incompatible)


def build_context(
    settings: Settings,
    *,
    engine: Engine | None = None,
    blobs: BlobStore | None = None,
    extractor: Extractor | None = None,
    index: SearchIndex | None = None,
    dispatch_document: DocumentDispatcher | None = None,
    page_renderer: PageRenderer | None = None,
    dispatch_page_images: DocumentDispatcher | None = None,
    batch_splitter: BatchSplitter | None = None,
    dispatch_batch: DocumentDispatcher | None = None,
) -> Context:
    """Wire settings to real adapters; tests pass their own engine or fakes where they must."""
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = engine or make_engine(settings.database_url)
    extra = {"dispatch_document": dispatch_document} if dispatch_document else {}
    if dispatch_page_images:
        extra["dispatch_page_images"] = dispatch_page_images
    if dispatch_batch:
        extra["dispatch_batch"] = dispatch_batch
    return Context(
        settings=settings,
        session_factory=make_session_factory(engine),
        blobs=blobs or build_blob_store(settings),
        scheme=ReferenceScheme(settings.reference_format),
        extractor=extractor or build_extractor(settings),
        index=index or build_search_index(settings),
        page_renderer=page_renderer or PdfiumPageRenderer(limits=Limits()),
        batch_splitter=batch_splitter or SandboxedBatchSplitter(limits=Limits()),
        **extra,
    )


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Percent signs in passwords would be read as interpolation by ConfigParser.
    config.set_main_option(
        "sqlalchemy.url", normalise_database_url(database_url).replace("%", "%%")
    )
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def schema_is_current(database_url: str) -> bool:
    """Whether the database is migrated to this code's head revision (no side effects)."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return current == script.get_current_head()
