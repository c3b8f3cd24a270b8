"""Queue entry points: Huey tasks that take ids, build their own context and call one service.

The queue only delivers; the database says what must happen. A lost message costs a delay,
never a document: the periodic reconciler hands lost work back to the queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.exceptions import RetryTask

from ecase.bootstrap import build_context
from ecase.config import Settings
from ecase.services.access import audit_log, sessions
from ecase.services.casefile import page_images
from ecase.services.context import Context
from ecase.services.intake import hotfolder, leases, pipeline, scanning

log = logging.getLogger(__name__)
QUEUE_NAME = "ecase"


def make_huey(queue_url: str) -> Huey:
    """``sqlite:///path`` (embedded), ``redis://host:port/db`` (multi-node), ``memory://``."""
    parts = urlsplit(queue_url)
    if parts.scheme == "sqlite":
        path = Path(parts.netloc + parts.path) if parts.netloc else Path(parts.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
    if parts.scheme in {"redis", "rediss"}:
        return RedisHuey(QUEUE_NAME, url=queue_url, results=False)
    if parts.scheme == "memory":
        return MemoryHuey(QUEUE_NAME, results=False, immediate=False)
    raise ValueError(f"ECASE_QUEUE_URL must be sqlite://, redis:// or memory://, got {queue_url!r}")


class Queue:
    """One Huey instance with ecase's tasks registered; the web side only enqueues."""

    def __init__(
        self, settings: Settings, context_factory: Callable[[], Context] | None = None
    ) -> None:
        self.settings = settings
        self.huey = make_huey(settings.queue_url)
        self._context_factory = context_factory or (
            lambda: build_context(
                settings,
                dispatch_document=self.dispatch,
                dispatch_page_images=self.dispatch_page_images,
                dispatch_batch=self.dispatch_batch,
            )
        )
        self._context: Context | None = None
        self._lock = threading.Lock()
        self._process = self.huey.task(retries=leases.MAX_ATTEMPTS + 2, name="process_document")(
            self._process_document
        )
        self._split = self.huey.task(retries=leases.MAX_ATTEMPTS + 2, name="split_batch")(
            self._split_batch
        )
        self._render = self.huey.task(retries=3, name="render_page_images")(
            self._render_page_images
        )
        self._reconcile = self.huey.periodic_task(crontab(minute="*/5"), name="reconcile")(
            self._reconcile_task
        )
        self._checkpoint = self.huey.periodic_task(crontab(minute="7"), name="audit_checkpoint")(
            self._audit_checkpoint_task
        )
        self._prune = self.huey.periodic_task(crontab(hour="3", minute="17"), name="audit_prune")(
            self._audit_prune_task
        )

    def context(self) -> Context:
        with self._lock:
            if self._context is None:
                self._context = self._context_factory()
            return self._context

    def dispatch(self, document_id: int) -> None:
        """Enqueue processing of one document (called after the upload committed)."""
        self._process(document_id)

    def dispatch_batch(self, batch_id: int) -> None:
        """Enqueue splitting of one scan batch (called after its intake committed)."""
        self._split(batch_id)

    def _split_batch(self, batch_id: int) -> None:
        outcome = scanning.split_batch(self.context(), batch_id)
        log.info("scan batch %s: %s", batch_id, outcome.status)
        if outcome.retry_in is not None:
            raise RetryTask(delay=outcome.retry_in)

    def dispatch_page_images(self, document_id: int) -> None:
        """Enqueue rendering the viewer's page images of a document that became ready."""
        self._render(document_id)

    def _render_page_images(self, document_id: int) -> None:
        outcome = page_images.render_document_pages(self.context(), document_id)
        log.info("document %s page images: %s", document_id, outcome.status)
        if outcome.status == "retry":
            raise RetryTask(delay=60)

    def _process_document(self, document_id: int) -> None:
        outcome = pipeline.process_document(self.context(), document_id)
        log.info("document %s: %s", document_id, outcome.status)
        if outcome.retry_in is not None:
            raise RetryTask(delay=outcome.retry_in)

    def _reconcile_task(self) -> None:
        ids = pipeline.reconcile(self.context())
        if ids:
            log.info("reconciler re-enqueued %s documents", len(ids))
        batches = scanning.reconcile_batches(self.context())
        if batches:
            log.info("reconciler re-enqueued %s scan batches", len(batches))
        unrendered = page_images.reconcile_page_images(self.context())
        if unrendered:
            log.info("reconciler re-enqueued page images of %s documents", len(unrendered))

    def _audit_checkpoint_task(self) -> None:
        audit_log.write_checkpoint(self.context())

    def _audit_prune_task(self) -> None:
        deleted = audit_log.prune(self.context())
        if deleted:
            log.info("access log retention removed %s events", deleted)
        purged = sessions.purge_ended(self.context())
        if purged:
            log.info("removed %s ended sessions", purged)


def run_worker(settings: Settings, workers: int = 1) -> None:
    """Run the consumer in this process until SIGINT/SIGTERM; reconcile once at start."""
    queue = Queue(settings)
    ids = pipeline.reconcile(queue.context())
    if ids:
        log.info("worker start: re-enqueued %s unfinished documents", len(ids))
    scanning.reconcile_batches(queue.context())
    # The hot folder is polled by a thread of every worker process; claiming by rename
    # makes several workers on one (shared) folder safe.
    stop_watching = threading.Event()
    hotfolder.start_watcher(queue.context(), stop_watching)
    consumer = queue.huey.create_consumer(
        workers=max(workers, 1), worker_type="thread", periodic=True
    )
    try:
        consumer.run()
    finally:
        stop_watching.set()
