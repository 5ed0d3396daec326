"""Settings: environment variables, production safety, the development secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from accident_online.settings import Settings


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCIDENT_ONLINE_PORT", "9123")
    monkeypatch.setenv("ACCIDENT_ONLINE_HOST", "0.0.0.0")
    monkeypatch.setenv("ACCIDENT_ONLINE_WEBHOOK_RETRY_SCHEDULE", "[1, 2.5, 10]")

    settings = Settings()

    assert settings.port == 9123
    assert settings.host == "0.0.0.0"
    assert settings.webhook_retry_schedule == [1, 2.5, 10]


def test_defaults_serve_sqlite_under_var_on_loopback(monkeypatch, tmp_path) -> None:
    for name in ("HOST", "PORT", "DATABASE_URL", "ENV"):
        monkeypatch.delenv(f"ACCIDENT_ONLINE_{name}", raising=False)
    settings = Settings(var_dir=tmp_path)

    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path}/accident-online.db"
    assert settings.resolved_storage_dir == tmp_path / "evidence"
    assert settings.allow_private_webhook_targets is True


@pytest.mark.parametrize(
    "explicit",
    [{}, {"jwt_secret": "k" * 40}, {"database_url": "postgresql+asyncpg://db/ao"}],
)
def test_production_refuses_to_start_without_explicit_secret_and_database(
    monkeypatch, explicit
) -> None:
    monkeypatch.delenv("ACCIDENT_ONLINE_JWT_SECRET", raising=False)
    monkeypatch.delenv("ACCIDENT_ONLINE_DATABASE_URL", raising=False)
    with pytest.raises(ValidationError, match="production mode needs"):
        Settings(env="production", **explicit)


def test_production_with_both_set_starts_and_denies_private_webhooks() -> None:
    settings = Settings(
        env="production", jwt_secret="k" * 40, database_url="postgresql+asyncpg://db/ao"
    )
    assert settings.allow_private_webhook_targets is False


def test_development_makes_and_keeps_a_secret_under_var(tmp_path) -> None:
    first = Settings(var_dir=tmp_path, jwt_secret=None).jwt_key()
    again = Settings(var_dir=tmp_path, jwt_secret=None).jwt_key()

    assert first == again
    assert len(first) >= 48
    secret_file = tmp_path / "jwt-secret"
    assert secret_file.read_text() == first
    assert secret_file.stat().st_mode & 0o777 == 0o600
