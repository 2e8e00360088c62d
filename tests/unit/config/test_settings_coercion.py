"""Turning strings into typed values, and reporting every bad one at once."""

from pathlib import Path

import pytest

from entrypoints.config import CacheProvider, JwtAlgorithm, LogFormat, Profile, SettingsError, load_settings


def load(environ: dict[str, str], tmp_path: Path):
    return load_settings(environ, base_dir=tmp_path, in_container=False)


def test_values_get_their_types(tmp_path: Path) -> None:
    settings = load(
        {
            "APP_PORT": " 9000 ",
            "APP_PROFILE": "Memory",
            "APP_SHUTDOWN_TIMEOUT_SECONDS": "2.5",
            "DATABASE_POOL_SIZE": "7",
            "CACHE_PROVIDER": "DRAGONFLY",
            "JWT_ALGORITHM": "eddsa",
            "LOGGING_FORMAT": "json",
            "CORS_ALLOW_ORIGINS": " https://a.example , ,https://b.example,",
            "CORS_ALLOW_METHODS": "",
            "SECURITY_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7,::1",
            "WHATSAPP_MESSAGES_PER_SECOND": "80",
        },
        tmp_path,
    )

    assert settings.app.port == 9000
    assert settings.app.profile is Profile.MEMORY
    assert settings.app.shutdown_timeout_seconds == 2.5
    assert settings.database.pool_size == 7
    assert settings.cache.provider is CacheProvider.DRAGONFLY
    assert settings.jwt.algorithm is JwtAlgorithm.EDDSA
    assert settings.logging.format is LogFormat.JSON
    assert settings.cors.allow_origins == ("https://a.example", "https://b.example")
    assert settings.cors.allow_methods == ()
    assert settings.security.trusted_proxies == ("10.0.0.0/8", "192.168.1.7", "::1")
    assert settings.whatsapp.messages_per_second == 80.0
    assert isinstance(settings.whatsapp.messages_per_second, float)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[("true", True), ("TRUE", True), ("1", True), ("yes", True), ("On", True)],
        *[("false", False), ("False", False), ("0", False), ("NO", False), ("off", False)],
    ],
)
def test_booleans_accept_the_usual_spellings(tmp_path: Path, raw: str, expected: bool) -> None:
    assert load({"DATABASE_ECHO": raw}, tmp_path).database.echo is expected
    assert load({"RATE_LIMIT_ENABLED": raw}, tmp_path).rate_limit.enabled is expected


def test_defaults_have_the_documented_values(tmp_path: Path) -> None:
    settings = load({}, tmp_path)

    assert settings.app.port == 8088
    assert settings.app.body_limit_bytes == 1_048_576
    assert settings.cors.allow_methods == ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    assert settings.cors.allow_origins == ()
    assert 2 <= settings.database.pool_size <= 10
    assert settings.jwt.access_ttl_minutes == 15
    assert settings.whatsapp.api_version == "v21.0"


def test_every_bad_key_is_named_in_one_message(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_ECHO=maybe\nCACHE_PORT=0\n", encoding="utf-8")

    with pytest.raises(SettingsError) as caught:
        load(
            {
                "APP_PORT": "abc",
                "JWT_ALGORITHM": "none",
                "APP_WORKERS": "0",
                "JWT_ACCESS_TTL_MINUTES": "1441",
                "DATABASE_POOL_TIMEOUT_SECONDS": "nan",
                "SECURITY_TRUSTED_PROXIES": "10.0.0.1,not-an-ip",
                "DATABASE_URL": "postgres-without-scheme",
            },
            tmp_path,
        )

    message = str(caught.value)
    assert message.startswith("Invalid settings:\n")
    assert "  APP_PORT: expected an integer from 1 to 65535, got 'abc'" in message
    assert "  JWT_ALGORITHM: expected one of HS256, EdDSA, ES256, got 'none'" in message
    assert "  APP_WORKERS: expected an integer >= 1, got '0'" in message
    assert "  JWT_ACCESS_TTL_MINUTES: expected an integer from 1 to 1440, got '1441'" in message
    assert "  DATABASE_POOL_TIMEOUT_SECONDS: expected a number >= 0, got 'nan'" in message
    assert "  SECURITY_TRUSTED_PROXIES: expected IP addresses or CIDR networks, got 'not-an-ip'" in message
    assert (
        "  DATABASE_URL: expected a URL such as scheme://host/name, got 'postgres-without-scheme'" in message
    )
    assert "  DATABASE_ECHO: expected a boolean (true/false, 1/0, yes/no, on/off), got 'maybe'" in message
    assert "  CACHE_PORT: expected an integer from 1 to 65535, got '0'" in message
    assert {key for key, _ in caught.value.problems} == {
        "APP_PORT",
        "JWT_ALGORITHM",
        "APP_WORKERS",
        "JWT_ACCESS_TTL_MINUTES",
        "DATABASE_POOL_TIMEOUT_SECONDS",
        "SECURITY_TRUSTED_PROXIES",
        "DATABASE_URL",
        "DATABASE_ECHO",
        "CACHE_PORT",
    }


def test_a_bad_app_env_is_reported_and_no_env_specific_file_is_guessed(tmp_path: Path) -> None:
    (tmp_path / ".env.development").write_text("APP_PORT=abc\n", encoding="utf-8")

    with pytest.raises(SettingsError) as caught:
        load({"APP_ENV": "prod"}, tmp_path)

    assert [key for key, _ in caught.value.problems] == ["APP_ENV"]
    assert "expected one of development, test, staging, production, got 'prod'" in str(caught.value)


def test_a_password_in_a_bad_url_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load({"DATABASE_MIGRATE_URL": "owner:hunter2hunter2@db"}, tmp_path)
    assert "DATABASE_MIGRATE_URL: expected a URL" in str(caught.value)
    assert "hunter2" not in str(caught.value)

    settings = load({"DATABASE_URL": "postgresql+asyncpg://app:hunter2hunter2@db/healthcare"}, tmp_path)
    assert settings.database.url == "postgresql+asyncpg://app:hunter2hunter2@db/healthcare"
