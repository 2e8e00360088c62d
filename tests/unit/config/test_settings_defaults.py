"""Defaults that depend on the container, the profile and other settings."""

from pathlib import Path

import pytest

from entrypoints.config import CacheProvider, load_settings


def test_outside_a_container_everything_is_local(tmp_path: Path) -> None:
    settings = load_settings({"CACHE_PROVIDER": "redis"}, base_dir=tmp_path, in_container=False)

    assert settings.app.host == "127.0.0.1"
    assert settings.cache.host == "127.0.0.1"
    assert settings.email.smtp_host == "127.0.0.1"


def test_inside_a_container_services_are_reached_by_name(tmp_path: Path) -> None:
    settings = load_settings({}, base_dir=tmp_path, in_container=True)

    assert settings.app.host == "0.0.0.0"
    assert settings.cache.host == "redis"
    assert settings.email.smtp_host == "mailpit"


def test_dragonfly_has_its_own_container_host(tmp_path: Path) -> None:
    inside = load_settings({"CACHE_PROVIDER": "dragonfly"}, base_dir=tmp_path, in_container=True)
    outside = load_settings({"CACHE_PROVIDER": "dragonfly"}, base_dir=tmp_path, in_container=False)

    assert inside.cache.host == "dragonfly"
    assert outside.cache.host == "127.0.0.1"


def test_explicit_values_beat_container_defaults(tmp_path: Path) -> None:
    environ = {"APP_HOST": "10.1.2.3", "CACHE_HOST": "cache.internal", "EMAIL_SMTP_HOST": "smtp.internal"}

    settings = load_settings(environ, base_dir=tmp_path, in_container=True)

    assert (settings.app.host, settings.cache.host, settings.email.smtp_host) == (
        "10.1.2.3",
        "cache.internal",
        "smtp.internal",
    )
    assert settings.sources["CACHE_HOST"] == "environment"


@pytest.mark.parametrize("profile", ["memory", "embedded"])
def test_local_profiles_use_sqlite_under_the_data_dir(tmp_path: Path, profile: str) -> None:
    settings = load_settings(
        {"APP_PROFILE": profile, "APP_DATA_DIR": "/srv/clinic/"}, base_dir=tmp_path, in_container=True
    )

    assert settings.database.url == "sqlite+aiosqlite:////srv/clinic/healthcare.sqlite3"
    assert settings.database.migrate_url == settings.database.url
    assert settings.cache.provider is CacheProvider.MEMORY


def test_default_data_dir_is_relative(tmp_path: Path) -> None:
    settings = load_settings({}, base_dir=tmp_path, in_container=False)

    assert settings.app.data_dir == "var"
    assert settings.database.url == "sqlite+aiosqlite:///var/healthcare.sqlite3"


@pytest.mark.parametrize(("in_container", "host"), [(True, "postgres"), (False, "127.0.0.1")])
def test_production_profile_uses_postgres_and_redis(tmp_path: Path, in_container: bool, host: str) -> None:
    environ = {
        "APP_PROFILE": "production",
        "JWT_SECRET": "s" * 40,
        "SECURITY_PHI_ENCRYPTION_KEY": "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        "SECURITY_BLIND_INDEX_KEY": "b" * 40,
        "SECURITY_AUDIT_KEY": "a" * 40,
        "SECURITY_OTP_HASH_KEY": "o" * 40,
    }

    settings = load_settings(environ, base_dir=tmp_path, in_container=in_container)

    assert settings.database.url == f"postgresql+asyncpg://healthcare@{host}:5432/healthcare"
    assert settings.cache.provider is CacheProvider.REDIS
    assert settings.cache.host == ("redis" if in_container else "127.0.0.1")


def test_migrate_url_follows_an_explicit_database_url(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://app@db.internal/healthcare"

    settings = load_settings({"DATABASE_URL": url}, base_dir=tmp_path, in_container=False)

    assert settings.database.migrate_url == url
    assert settings.sources["DATABASE_MIGRATE_URL"] == "default"
    owner = "postgresql+asyncpg://owner@db.internal/healthcare"
    separate = load_settings({"DATABASE_URL": url, "DATABASE_MIGRATE_URL": owner}, base_dir=tmp_path)
    assert separate.database.migrate_url == owner
