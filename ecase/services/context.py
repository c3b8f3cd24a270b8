"""What a use case needs from the outside world, handed in by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from ecase.config import Settings
from ecase.domain.reference import ReferenceScheme
from ecase.services.uow import UnitOfWork
from ocr import BatchSplitter, Extractor, PageRenderer, SandboxedBatchSplitter
from search import SearchIndex
from storage import BlobStore

DocumentDispatcher = Callable[[int], None]


def _nothing_to_dispatch(_document_id: int) -> None:
    """Default for tools (migrations, CLI one-offs) that never create documents."""


@dataclass(frozen=True)
class Context:
    settings: Settings
    session_factory: sessionmaker[Session]
    blobs: BlobStore
    scheme: ReferenceScheme
    extractor: Extractor
    index: SearchIndex
    # Called after commit with a document id whose processing should start; the database
    # row stays the record of what must happen, so a lost call is repaired by the reconciler.
    dispatch_document: DocumentDispatcher = field(default=_nothing_to_dispatch)
    # Page images for the viewer (services/casefile/page_images.py); None where a tool renders none.
    page_renderer: PageRenderer | None = None
    # Called after a document became ready, to render its page images off the request path.
    dispatch_page_images: DocumentDispatcher = field(default=_nothing_to_dispatch)
    # Posteingang: splits scanned batches at separator sheets (sandboxed), and is called
    # after commit with a scan batch id whose splitting should start.
    batch_splitter: BatchSplitter = field(default_factory=SandboxedBatchSplitter)
    dispatch_batch: DocumentDispatcher = field(default=_nothing_to_dispatch)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)
