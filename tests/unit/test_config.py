"""Settings: embedded defaults, URL handling and the production safety checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecase.config import ConfigError, Settings
from ecase.db import normalise_database_url


def test_embedded_defaults_live_under_home(tmp_path: Path) -> None:
    settings = Settings.from_env({"ECASE_HOME": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'ecase.sqlite3'}"
    assert settings.storage_url == f"file://{tmp_path / 'blobs'}"
    assert settings.port == 5000
    assert settings.ocr_languages == "deu+eng"
    assert settings.inbox_path == tmp_path / "inbox"


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings.from_env({"ECASE_HOME": str(tmp_path)})
    second = Settings.from_env({"ECASE_HOME": str(tmp_path)})
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = Settings.from_env({"ECASE_HOME": str(tmp_path)})
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({}, "ECASE_SECRET_KEY"),
        ({"ECASE_SECRET_KEY": "short"}, "ECASE_SECRET_KEY"),
        ({"ECASE_SECRET_KEY": "x" * 40}, "ECASE_AUDIT_KEY"),
        ({"ECASE_SECRET_KEY": "x" * 40, "ECASE_AUDIT_KEY": "y" * 40}, "ECASE_BEHIND_PROXY"),
        (
            {
                "ECASE_SECRET_KEY": "x" * 40,
                "ECASE_BEHIND_PROXY": "true",
                "ECASE_STORAGE_URL": "s3://b?endpoint=h:9000",
                "ECASE_S3_ACCESS_KEY": "minioadmin",
                "ECASE_S3_SECRET_KEY": "minioadmin",
            },
            "ECASE_S3_ACCESS_KEY",
        ),
    ],
)
def test_production_refuses_unsafe_settings(
    tmp_path: Path, env: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        Settings.from_env({"ECASE_HOME": str(tmp_path), "ECASE_ENV": "production", **env})


def test_production_writes_no_key_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({"ECASE_HOME": str(tmp_path), "ECASE_ENV": "production"})
    assert list(tmp_path.iterdir()) == []


def test_production_starts_with_safe_settings(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "ECASE_HOME": str(tmp_path),
            "ECASE_ENV": "production",
            "ECASE_SECRET_KEY": "k" * 48,
            "ECASE_AUDIT_KEY": "a" * 48,
            "ECASE_BEHIND_PROXY": "yes",
        }
    )
    assert settings.is_production


@pytest.mark.parametrize(
    ("env", "message"),
    [({"ECASE_PORT": "eighty"}, "ECASE_PORT"), ({"ECASE_ENV": "staging"}, "ECASE_ENV")],
)
def test_malformed_values_are_named(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"ECASE_HOME": str(tmp_path), **env})


def test_plain_postgresql_url_gets_the_installed_driver() -> None:
    assert normalise_database_url("postgresql://postgres@127.0.0.1:5432/test").startswith(
        "postgresql+psycopg://"
    )
    assert normalise_database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ECASE_AUDIT_RETENTION_DAYS", "0"),
        ("ECASE_SESSION_IDLE_MINUTES", "0"),
        ("ECASE_MAX_UPLOAD_BYTES", "-1"),
    ],
)
def test_numbers_out_of_range_are_refused(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"ECASE_HOME": str(tmp_path), name: value})
