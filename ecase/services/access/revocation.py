"""Ending every way a user is logged in: sessions and API tokens, in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from ecase.models import ApiToken, UserSession


def revoke_everything(session: Session, user_id: int) -> None:
    """End every session and API token of a user, inside the caller's transaction."""
    now = datetime.now(UTC)
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
