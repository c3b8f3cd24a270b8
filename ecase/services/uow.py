"""The unit of work: one transaction per use case, rolled back unless committed explicitly."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ecase.domain.errors import ServiceUnavailableError
from ecase.domain.messages import N_

log = logging.getLogger(__name__)


class UnitOfWork:
    """Owns a session; side effects registered with ``after_commit`` run only once it committed."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._after_commit: list[Callable[[], None]] = []
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError(N_("the unit of work is not open"))
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        self._after_commit = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            # Detach first: objects read in this unit stay usable (loaded, not expired)
            # after it ends, and nothing uncommitted can be flushed by accident later.
            session.expunge_all()
            session.rollback()
        except (OperationalError, InterfaceError):
            log.warning("rollback failed; the database connection is gone")
        finally:
            session.close()
            self._session = None
        if isinstance(exc, OperationalError | InterfaceError):
            # Connection lost, server down, or SQLite busy past its timeout: nothing was
            # recorded, and the caller can only retry later.
            raise ServiceUnavailableError(
                N_("The database is not reachable or busy; nothing was saved. Please try again.")
            ) from exc

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def commit(self) -> None:
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            # The transaction is durable; a failed side effect is repaired by the reconciler,
            # so it must not turn a successful request into an error.
            try:
                callback()
            except Exception:
                log.exception("after-commit callback failed")
