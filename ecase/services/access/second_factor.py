"""The second factor: TOTP (RFC 6238) enrolment and checks, with one-time recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp

from ecase.domain.actor import Actor
from ecase.domain.enums import Outcome
from ecase.domain.errors import AuthenticationError, ConflictError, NotFoundError
from ecase.domain.messages import N_
from ecase.models import User
from ecase.services.access import audit
from ecase.services.access.revocation import revoke_everything
from ecase.services.access.users import find_user_id
from ecase.services.context import Context

ISSUER = "ecase"
RECOVERY_CODES = 10
TOTP_STEP_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    uri: str


def required_for(ctx: Context, actor: Actor) -> bool:
    """All staff roles need a second factor unless the installation switched it off."""
    del actor  # every role is a staff role; kept for a future applicant portal
    return ctx.settings.require_second_factor


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def begin_enrolment(ctx: Context, actor: Actor) -> Enrolment:
    """A fresh secret, pending until confirmed with a code; an enrolled factor stays as is."""
    with ctx.uow() as uow:
        user = uow.session.get(User, actor.user_id)
        if user is None:
            raise NotFoundError(N_("Not found."))
        if user.totp_enabled_at is not None:
            raise ConflictError(N_("A second factor is already set up for this account."))
        if not user.totp_secret:
            user.totp_secret = pyotp.random_base32()
            uow.commit()
        secret = user.totp_secret
    uri = pyotp.TOTP(secret).provisioning_uri(name=actor.username, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def confirm_enrolment(ctx: Context, actor: Actor, code: str) -> list[str]:
    """Switch the factor on if ``code`` matches; returns recovery codes, shown this once."""
    with ctx.uow() as uow:
        user = uow.session.get(User, actor.user_id)
        if user is None or not user.totp_secret or user.totp_enabled_at is not None:
            raise ConflictError(N_("There is no second factor waiting for confirmation."))
        step = _matching_step(user.totp_secret, code, None)
        if step is None:
            raise AuthenticationError(N_("The code does not match; check the time on your device."))
        codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
        user.totp_enabled_at = datetime.now(UTC)
        user.totp_last_step = step
        user.recovery_code_hashes = json.dumps([_code_hash(c) for c in codes])
        audit.record(uow.session, actor, "second_factor.enrol", audit.Subject("user", user.id))
        uow.commit()
    return codes


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to (±1 step of clock drift), never one used before."""
    digits = code.replace(" ", "").strip()
    if not digits.isdigit() or len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(datetime.now(UTC).timestamp()) // TOTP_STEP_SECONDS
    for step in (now_step - 1, now_step, now_step + 1):
        if last_step is not None and step <= last_step:
            continue  # a code is good once: a shoulder-surfed code cannot be replayed
        expected = totp.at(step * TOTP_STEP_SECONDS)
        if hmac.compare_digest(expected, digits):
            return step
    return None


def verify(ctx: Context, actor: Actor, code: str) -> None:
    """Accept a current TOTP code or an unused recovery code; both are used up by success."""
    with ctx.uow() as uow:
        user = uow.session.get(User, actor.user_id)
        if user is None or not user.totp_secret or user.totp_enabled_at is None:
            raise ConflictError(N_("No second factor is set up for this account."))
        step = _matching_step(user.totp_secret, code, user.totp_last_step)
        method = "totp"
        if step is not None:
            user.totp_last_step = step
        else:
            hashes = json.loads(user.recovery_code_hashes or "[]")
            candidate = _code_hash(code)
            if candidate not in hashes:
                uow.session.rollback()
                audit.record(
                    uow.session,
                    actor,
                    "login.second_factor",
                    audit.Subject("user", actor.user_id),
                    outcome=Outcome.DENIED,
                )
                uow.commit()
                raise AuthenticationError(N_("The code is not valid."))
            hashes.remove(candidate)
            user.recovery_code_hashes = json.dumps(hashes)
            method = f"recovery code ({len(hashes)} left)"
        audit.record(
            uow.session,
            actor,
            "login.second_factor",
            audit.Subject("user", actor.user_id),
            reason=method,
        )
        uow.commit()


def reset(ctx: Context, actor: Actor | None, username: str) -> None:
    """Remove a lost factor (admin, after checking identity); the next login enrols anew."""
    with ctx.uow() as uow:
        user_id = find_user_id(uow.session, username)
        user = uow.session.get(User, user_id) if user_id else None
        if user is None:
            raise NotFoundError(f"There is no user called '{username}'.")
        user.totp_secret = None
        user.totp_enabled_at = None
        user.totp_last_step = None
        user.recovery_code_hashes = "[]"
        # Whoever held the lost phone may hold a session too: end them all.
        revoke_everything(uow.session, user.id)
        audit.record(uow.session, actor, "second_factor.reset", audit.Subject("user", user.id))
        uow.commit()
