"""Typed, frozen settings read once from the environment and passed into every entry point."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024
WEAK_SECRET_MIN_LENGTH = 32
DEFAULT_S3_KEYS = frozenset({"minioadmin", "testing", "admin", "changeme", ""})


class ConfigError(ValueError):
    """A setting is missing, malformed or unsafe for the chosen environment."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ecase can be configured with; see docs/configuration.md for each field."""

    home: Path
    database_url: str
    storage_url: str
    search_url: str
    queue_url: str
    secret_key: str = field(repr=False)
    s3_access_key: str | None = field(default=None, repr=False)
    s3_secret_key: str | None = field(default=None, repr=False)
    port: int = 5000
    env: str = "development"
    ocr_languages: str = "deu+eng"
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    reference_format: str = "{plan}-{year}-{seq:05d}"
    default_file_plan: str = "MA-1234"
    inbox_dir: Path | None = None
    behind_proxy: bool = False
    job_lease_seconds: int = 1800
    ocr_processes: int = 0
    secret_key_generated: bool = False
    # Signs access-log checkpoints; kept outside the database on purpose.
    audit_key: str = field(default="", repr=False)
    audit_key_generated: bool = False
    audit_retention_days: int = 365
    audit_checkpoint_max_age_hours: int = 2
    session_idle_minutes: int = 30
    session_max_hours: int = 10
    break_glass_hours: int = 8
    require_second_factor: bool = True

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``ECASE_*`` variables; embedded defaults live under ``ECASE_HOME`` (``./var``)."""
        env = os.environ if environ is None else environ
        home = Path(env.get("ECASE_HOME") or "var").resolve()
        environment = env.get("ECASE_ENV") or "development"
        if environment not in {"development", "production"}:
            raise ConfigError(f"ECASE_ENV must be development or production, got {environment!r}")
        production = environment == "production"
        secret, generated = _secret(env, "ECASE_SECRET_KEY", home, "secret_key", production)
        audit_key, audit_generated = _secret(env, "ECASE_AUDIT_KEY", home, "audit.key", production)
        inbox = env.get("ECASE_INBOX_DIR")
        settings = cls(
            home=home,
            database_url=env.get("ECASE_DATABASE_URL") or f"sqlite:///{home / 'ecase.sqlite3'}",
            storage_url=env.get("ECASE_STORAGE_URL") or f"file://{home / 'blobs'}",
            search_url=env.get("ECASE_SEARCH_URL") or f"whoosh://{home / 'index'}",
            queue_url=env.get("ECASE_QUEUE_URL") or f"sqlite://{home / 'queue.sqlite3'}",
            secret_key=secret,
            s3_access_key=env.get("ECASE_S3_ACCESS_KEY"),
            s3_secret_key=env.get("ECASE_S3_SECRET_KEY"),
            port=_int(env, "ECASE_PORT", 5000),
            env=environment,
            ocr_languages=env.get("ECASE_OCR_LANGUAGES") or "deu+eng",
            max_upload_bytes=_int(env, "ECASE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES),
            reference_format=env.get("ECASE_REFERENCE_FORMAT") or "{plan}-{year}-{seq:05d}",
            default_file_plan=env.get("ECASE_DEFAULT_FILE_PLAN") or "MA-1234",
            inbox_dir=Path(inbox).resolve() if inbox else None,
            behind_proxy=_bool(env, "ECASE_BEHIND_PROXY", False),
            job_lease_seconds=_int(env, "ECASE_JOB_LEASE_SECONDS", 1800),
            ocr_processes=_int(env, "ECASE_OCR_PROCESSES", 0),
            secret_key_generated=generated,
            audit_key=audit_key,
            audit_key_generated=audit_generated,
            audit_retention_days=_int(env, "ECASE_AUDIT_RETENTION_DAYS", 365),
            audit_checkpoint_max_age_hours=_int(env, "ECASE_AUDIT_CHECKPOINT_MAX_AGE_HOURS", 2),
            session_idle_minutes=_int(env, "ECASE_SESSION_IDLE_MINUTES", 30),
            session_max_hours=_int(env, "ECASE_SESSION_MAX_HOURS", 10),
            break_glass_hours=_int(env, "ECASE_BREAK_GLASS_HOURS", 8),
            require_second_factor=_bool(env, "ECASE_REQUIRE_2FA", True),
        )
        if overrides:
            settings = replace(settings, **overrides)
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that are unsafe in production; development may run with defaults."""
        minimums = {
            "ECASE_MAX_UPLOAD_BYTES": (self.max_upload_bytes, 1),
            "ECASE_AUDIT_RETENTION_DAYS": (self.audit_retention_days, 30),
            "ECASE_AUDIT_CHECKPOINT_MAX_AGE_HOURS": (self.audit_checkpoint_max_age_hours, 2),
            "ECASE_SESSION_IDLE_MINUTES": (self.session_idle_minutes, 1),
            "ECASE_SESSION_MAX_HOURS": (self.session_max_hours, 1),
            "ECASE_BREAK_GLASS_HOURS": (self.break_glass_hours, 1),
            "ECASE_JOB_LEASE_SECONDS": (self.job_lease_seconds, 1),
            "ECASE_OCR_PROCESSES": (self.ocr_processes, 0),
        }
        for setting, (number, minimum) in minimums.items():
            if number < minimum:
                raise ConfigError(f"{setting} must be at least {minimum}, got {number}")
        if not self.is_production:
            return
        problems = []
        for name, value, generated in (
            ("ECASE_SECRET_KEY", self.secret_key, self.secret_key_generated),
            ("ECASE_AUDIT_KEY", self.audit_key, self.audit_key_generated),
        ):
            if generated or len(value) < WEAK_SECRET_MIN_LENGTH:
                problems.append(
                    f"{name} must be set to a random value of at least "
                    f"{WEAK_SECRET_MIN_LENGTH} characters"
                )
        if self.storage_url.startswith("s3://") and (
            (self.s3_access_key or "") in DEFAULT_S3_KEYS
            or (self.s3_secret_key or "") in DEFAULT_S3_KEYS
        ):
            problems.append("ECASE_S3_ACCESS_KEY/ECASE_S3_SECRET_KEY must not be default values")
        if not self.behind_proxy:
            problems.append(
                "production serves plain HTTP: put a TLS proxy in front and set "
                "ECASE_BEHIND_PROXY=true"
            )
        if problems:
            raise ConfigError("unsafe production settings: " + "; ".join(problems))

    @property
    def inbox_path(self) -> Path:
        return self.inbox_dir or self.home / "inbox"


def _secret(
    env: Mapping[str, str], name: str, home: Path, filename: str, production: bool
) -> tuple[str, bool]:
    """The configured secret, or (development only) one generated once under ECASE_HOME."""
    value = env.get(name, "")
    if value:
        return value, False
    if production:
        return "", True  # check() refuses this; never write key files for production
    return _persistent_dev_secret(home, filename), True


def _persistent_dev_secret(home: Path, filename: str) -> str:
    """Keep sessions valid across restarts in development without asking for a secret."""
    path = home / filename
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (web or worker) won the race
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret)
    return secret
