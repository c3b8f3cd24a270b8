"""Browser sessions held on the server: started at login, ended by logout, idleness or revocation.

A signed cookie alone cannot be taken back; a row can. Every request resumes its row, so a
password change, a disabled account or a logout ends access at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import selectinload

from ecase.domain.actor import Actor
from ecase.models import User, UserSession
from ecase.services.access import audit
from ecase.services.access.users import actor_of
from ecase.services.context import Context

TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class SessionState:
    actor: Actor
    second_factor_done: bool
    second_factor_enrolled: bool


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii", "replace")).hexdigest()


def start_session(ctx: Context, actor: Actor, *, second_factor_done: bool) -> str:
    """Return the new session's secret id (for the signed cookie; only its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with ctx.uow() as uow:
        uow.session.add(
            UserSession(
                id_hash=_hash(raw),
                user_id=actor.user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=ctx.settings.session_max_hours),
                second_factor_done=second_factor_done,
                client_address=(actor.client_address or "")[:64],
            )
        )
        uow.commit()
    return raw


def resume_session(
    ctx: Context, raw: str, client_address: str | None = None
) -> SessionState | None:
    """The session's state, or ``None`` when it was revoked, expired or left idle too long."""
    now = datetime.now(UTC)
    with ctx.uow() as uow:
        row = uow.session.get(UserSession, _hash(raw))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        if now - row.last_seen_at > timedelta(minutes=ctx.settings.session_idle_minutes):
            row.revoked_at = now
            uow.commit()
            return None
        user = uow.session.execute(
            select(User).where(User.id == row.user_id).options(selectinload(User.teams))
        ).scalar()
        if user is None or not user.active:
            return None
        state = SessionState(
            actor=actor_of(user, client_address),
            second_factor_done=row.second_factor_done,
            second_factor_enrolled=user.totp_enabled_at is not None,
        )
        if now - row.last_seen_at > TOUCH_EVERY:
            row.last_seen_at = now
            uow.commit()
    return state


def mark_second_factor_done(ctx: Context, raw: str) -> None:
    with ctx.uow() as uow:
        uow.session.execute(
            update(UserSession)
            .where(UserSession.id_hash == _hash(raw))
            .values(second_factor_done=True)
        )
        uow.commit()


def end_session(ctx: Context, raw: str) -> None:
    with ctx.uow() as uow:
        row = uow.session.get(UserSession, _hash(raw))
        if row is not None and row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
            user = uow.session.get(User, row.user_id)
            actor = actor_of(user, None) if user else None
            audit.record(uow.session, actor, "logout", audit.Subject("user", row.user_id))
            uow.commit()


def purge_ended(ctx: Context, *, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete session rows that ended (revoked or expired) more than ``older_than`` ago."""
    cutoff = datetime.now(UTC) - older_than
    with ctx.uow() as uow:
        result = uow.session.execute(
            delete(UserSession).where(
                or_(UserSession.revoked_at < cutoff, UserSession.expires_at < cutoff)
            )
        )
        uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)
