from __future__ import annotations

import subprocess
import sys

import pytest

from shared.config import Environment, Settings, SettingsError, get_settings


def test_production_start_up_names_every_missing_or_placeholder_secret() -> None:
    settings = Settings(APP_ENV="production", database_url="postgresql://db/app", redis_url="changeme",
                        supabase_jwt_secret="", required_secrets="DATABASE_URL,REDIS_URL,SUPABASE_JWT_SECRET")
    with pytest.raises(SettingsError) as error:
        settings.require_production_secrets()
    assert "REDIS_URL" in str(error.value)
    assert "SUPABASE_JWT_SECRET" in str(error.value)
    assert "DATABASE_URL" not in str(error.value)


def test_development_starts_without_secrets() -> None:
    Settings(APP_ENV="development").require_production_secrets()


def test_get_settings_reads_the_environment_when_first_called(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SUPABASE_JWT_SECRET", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError):
            get_settings()
        monkeypatch.setenv("APP_ENV", "test")
        get_settings.cache_clear()
        assert get_settings().environment is Environment.TEST
    finally:
        get_settings.cache_clear()


def test_importing_every_function_reads_no_settings() -> None:
    code = (
        "import main, shared.config as c\n"
        "for name in main.__all__: getattr(main, name)\n"
        "print(c.get_settings.cache_info().currsize)"
    )
    env = {"APP_ENV": "production", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "0"


def test_each_function_requires_only_the_secrets_its_registry_row_lists() -> None:
    webhook = Settings(APP_ENV="production", database_url="postgresql://db/app", redis_url="redis://r:6379/0",
                       supabase_webhook_secret="s3cret",
                       required_secrets="DATABASE_URL,REDIS_URL,SUPABASE_WEBHOOK_SECRET")
    webhook.require_production_secrets()  # no JWT secret, no Everflow key: this function needs neither
    sync = Settings(APP_ENV="production", database_url="postgresql://db/app", redis_url="redis://r:6379/0",
                    required_secrets="DATABASE_URL,EVERFLOW_API_KEY")
    with pytest.raises(SettingsError, match="EVERFLOW_API_KEY"):
        sync.require_production_secrets()
