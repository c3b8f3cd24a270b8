"""Accounts, teams, API tokens and turning credentials into an ``Actor``."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ecase.domain.actor import Actor
from ecase.domain.enums import Outcome, Role
from ecase.domain.errors import AuthenticationError, ConflictError, InvalidInputError, NotFoundError
from ecase.domain.messages import N_
from ecase.models import ApiToken, Team, User
from ecase.services.access import audit, passwords
from ecase.services.access.revocation import revoke_everything
from ecase.services.context import Context

TOKEN_TOUCH_EVERY = timedelta(minutes=5)
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_PREFIX = "ecase_"  # noqa: S105  # a public marker that makes leaked tokens greppable


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    username: str
    role: str
    teams: tuple[str, ...]
    active: bool


def actor_of(user: User, client_address: str | None) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        team_ids=frozenset(t.id for t in user.teams),
        client_address=client_address,
    )


def _user_by_name(session: Session, username: str) -> User | None:
    return session.execute(
        select(User)
        .where(User.username == username.strip().lower())
        .options(selectinload(User.teams))
    ).scalar()


def find_user_id(session: Session, username: str) -> int | None:
    user = _user_by_name(session, username)
    return user.id if user else None


def create_team(ctx: Context, actor: Actor | None, name: str) -> int:
    """Idempotent: an existing team of that name is returned, so setup scripts can rerun."""
    clean = " ".join(name.split())
    if not clean or len(clean) > 100:
        raise InvalidInputError(N_("A team needs a name of at most 100 characters."), field="name")
    with ctx.uow() as uow:
        team = uow.session.execute(select(Team).where(Team.name == clean)).scalar()
        if team is None:
            team = Team(name=clean)
            uow.session.add(team)
            uow.session.flush()
            audit.record(uow.session, actor, "team.create", audit.Subject("team", team.id))
        team_id = team.id
        uow.commit()
    return team_id


def create_user(
    ctx: Context,
    actor: Actor | None,
    username: str,
    role: str,
    password: str,
    *,
    teams: tuple[str, ...] = (),
    display_name: str = "",
) -> UserView:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise InvalidInputError(
            N_("User names are 2-64 characters: lower-case letters, digits, '.', '_' or '-'."),
            field="username",
        )
    try:
        user_role = Role(role)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInputError(
            f"Unknown role '{role}'; use one of {allowed}.", field="role"
        ) from exc
    passwords.check_policy(password)
    with ctx.uow() as uow:
        session = uow.session
        if _user_by_name(session, name) is not None:
            raise ConflictError(f"The user name '{name}' is taken.", field="username")
        team_rows = []
        for team_name in teams:
            team = session.execute(select(Team).where(Team.name == team_name.strip())).scalar()
            if team is None:
                raise InvalidInputError(f"There is no team called '{team_name}'.", field="team")
            team_rows.append(team)
        user = User(
            username=name,
            display_name=display_name or name,
            role=user_role,
            password_hash=passwords.hash_password(password),
            teams=team_rows,
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor,
            "user.create",
            audit.Subject("user", user.id),
            reason=f"role {user_role.value}; teams {', '.join(t.name for t in team_rows) or '-'}",
        )
        view = UserView(
            user.id, user.username, user.role.value, tuple(t.name for t in team_rows), True
        )
        uow.commit()
    return view


def create_token(ctx: Context, actor: Actor | None, username: str, label: str = "") -> str:
    """Return a new API token; only its hash is stored, so this is the one time it is shown."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with ctx.uow() as uow:
        user = _user_by_name(uow.session, username)
        if user is None:
            raise NotFoundError(f"There is no user called '{username}'.")
        if not user.active:
            raise ConflictError(f"The user '{username}' is disabled.")
        row = ApiToken(
            user=user,
            token_hash=_token_hash(token),
            prefix=token[: len(TOKEN_PREFIX) + 4],
            label=label[:100],
        )
        uow.session.add(row)
        uow.session.flush()
        audit.record(uow.session, actor, "token.create", audit.Subject("user", user.id))
        uow.commit()
    return token


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def authenticate_password(
    ctx: Context, username: str, password: str, client_address: str | None = None
) -> tuple[Actor, bool]:
    """Return the actor and whether the account has a second factor enrolled."""
    with ctx.uow() as uow:
        user = _user_by_name(uow.session, username) if username.strip() else None
        ok = passwords.verify_password(user.password_hash if user else None, password)
        if user is None or not ok or not user.active:
            audit.record(
                uow.session,
                None if user is None else actor_of(user, client_address),
                "login",
                audit.Subject("user", user.id if user else None),
                outcome=Outcome.DENIED,
                reason=(
                    f"unknown user {username.strip()[:64]!r}"
                    if user is None
                    else "wrong password or account disabled"
                ),
            )
            uow.commit()
            raise AuthenticationError(N_("Unknown user name or wrong password."))
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        user.previous_login_at = user.last_login_at
        user.last_login_at = datetime.now(UTC)
        actor = actor_of(user, client_address)
        audit.record(uow.session, actor, "login", audit.Subject("user", user.id))
        enrolled = user.totp_enabled_at is not None
        uow.commit()
    return actor, enrolled


def get_actor(ctx: Context, username: str) -> Actor:
    """The actor of an account, for trusted local callers (CLI, scripts, tests) only."""
    with ctx.uow() as uow:
        user = _user_by_name(uow.session, username)
        if user is None or not user.active:
            raise NotFoundError(f"There is no active user called '{username}'.")
        return actor_of(user, None)


def change_password(ctx: Context, actor: Actor, current: str, new: str) -> None:
    """Set a new password; every session and API token of the account ends with it."""
    passwords.check_policy(new)
    with ctx.uow() as uow:
        user = uow.session.get(User, actor.user_id)
        if user is None or not passwords.verify_password(user.password_hash, current):
            raise AuthenticationError(N_("The current password is not correct."))
        if passwords.verify_password(user.password_hash, new):
            raise InvalidInputError(
                N_("The new password must differ from the old one."), field="password"
            )
        user.password_hash = passwords.hash_password(new)
        user.password_changed_at = datetime.now(UTC)
        revoke_everything(uow.session, user.id)
        audit.record(uow.session, actor, "user.password", audit.Subject("user", user.id))
        uow.commit()


def reset_password(ctx: Context, actor: Actor | None, username: str, new: str) -> None:
    """An administrator sets a new password (forgotten one); every session and token ends."""
    passwords.check_policy(new)
    with ctx.uow() as uow:
        user = _user_by_name(uow.session, username)
        if user is None:
            raise NotFoundError(f"There is no user called '{username}'.")
        user.password_hash = passwords.hash_password(new)
        user.password_changed_at = datetime.now(UTC)
        revoke_everything(uow.session, user.id)
        audit.record(uow.session, actor, "user.password_reset", audit.Subject("user", user.id))
        uow.commit()


def set_active(ctx: Context, actor: Actor | None, username: str, *, active: bool) -> None:
    """Disable (or re-enable) an account; disabling ends its sessions and tokens at once."""
    with ctx.uow() as uow:
        user = _user_by_name(uow.session, username)
        if user is None:
            raise NotFoundError(f"There is no user called '{username}'.")
        user.active = active
        if not active:
            revoke_everything(uow.session, user.id)
        action = "user.enable" if active else "user.disable"
        audit.record(uow.session, actor, action, audit.Subject("user", user.id))
        uow.commit()


def actor_for_token(ctx: Context, token: str, client_address: str | None = None) -> Actor | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    with ctx.uow() as uow:
        row = uow.session.execute(
            select(ApiToken)
            .where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None))
            .options(selectinload(ApiToken.user).selectinload(User.teams))
        ).scalar()
        if row is None or not row.user.active:
            return None
        now = datetime.now(UTC)
        if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_EVERY:
            # Coarse on purpose: enough to spot unused tokens, not a write per request.
            row.last_used_at = now
            uow.commit()
        return actor_of(row.user, client_address)


def list_users(ctx: Context) -> list[UserView]:
    with ctx.uow() as uow:
        users = uow.session.execute(
            select(User).options(selectinload(User.teams)).order_by(User.username)
        ).scalars()
        return [
            UserView(u.id, u.username, u.role.value, tuple(t.name for t in u.teams), u.active)
            for u in users
        ]
