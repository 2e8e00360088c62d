"""`healthcare config show` output and the catalogue behind the docs."""

from pathlib import Path

from entrypoints.config import load_settings, render_settings, settings_catalogue

SECRETS = {
    "JWT_SECRET": "jwt-secret-value-that-must-stay-hidden-1",
    "CACHE_PASSWORD": "cache-password-value-hidden",
    "EMAIL_SMTP_PASSWORD": "smtp-password-value-hidden",
    "SECURITY_PHI_ENCRYPTION_KEY": "k1:cGhpLWtleS12YWx1ZS1oaWRkZW4tMDEyMzQ1Njc4OTA=",
    "SECURITY_OTP_HASH_KEY": "otp-key-value-hidden",
    "SECURITY_BLIND_INDEX_KEY": "blind-index-key-value-hidden",
    "SECURITY_AUDIT_KEY": "audit-key-value-hidden",
    "JWT_RETIRED_KEYS": "old=retired-jwt-secret-value-hidden",
    "WHATSAPP_ACCESS_TOKEN": "wa-token-value-hidden",
    "WHATSAPP_APP_SECRET": "wa-app-secret-value-hidden",
    "WHATSAPP_WEBHOOK_VERIFY_TOKEN": "wa-verify-value-hidden",
}


def test_every_secret_is_masked(tmp_path: Path) -> None:
    settings = load_settings(SECRETS, base_dir=tmp_path, in_container=False)

    output = render_settings(settings)

    for key, value in SECRETS.items():
        assert value not in output
        assert f"{key} = ********  (environment)" in output.splitlines()


def test_the_catalogue_flags_exactly_the_secrets() -> None:
    assert {info.key for info in settings_catalogue() if info.secret} == set(SECRETS)


def test_empty_secrets_show_as_empty(tmp_path: Path) -> None:
    output = render_settings(load_settings({}, base_dir=tmp_path, in_container=False)).splitlines()

    assert "WHATSAPP_APP_SECRET =   (default)" in output
    assert "JWT_SECRET = ********  (default)" in output


def test_a_password_in_a_database_url_is_masked(tmp_path: Path) -> None:
    environ = {
        "DATABASE_URL": "postgresql+asyncpg://app:p%40ss-word-1@db:5432/healthcare",
        "DATABASE_MIGRATE_URL": "postgresql+asyncpg://owner:raw@pass/word@db/healthcare",
    }

    output = render_settings(load_settings(environ, base_dir=tmp_path, in_container=False))

    assert "p%40ss-word-1" not in output
    assert "raw@pass" not in output
    assert "DATABASE_URL = postgresql+asyncpg://app:********@db:5432/healthcare  (environment)" in output
    assert "DATABASE_MIGRATE_URL = postgresql+asyncpg://owner:********@db/healthcare  (environment)" in output


def test_lines_are_grouped_by_section_with_their_source(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("APP_PORT=9001\nCORS_ALLOW_ORIGINS=https://a.example,https://b.example\n")

    lines = render_settings(load_settings({}, base_dir=tmp_path, in_container=False)).splitlines()

    headers = [line for line in lines if line.startswith("[")]
    assert headers == [
        "[app]",
        "[database]",
        "[cache]",
        "[jwt]",
        "[rate_limit]",
        "[logging]",
        "[tracing]",
        "[email]",
        "[cors]",
        "[security]",
        "[whatsapp]",
        "[messaging]",
    ]
    assert "APP_PORT = 9001  (.env)" in lines
    assert "APP_DEBUG = false  (default)" in lines
    assert "CORS_ALLOW_ORIGINS = https://a.example,https://b.example  (.env)" in lines
    assert lines.index("[cors]") < lines.index(
        "CORS_ALLOW_ORIGINS = https://a.example,https://b.example  (.env)"
    )
    key_lines = [line for line in lines if " = " in line]
    assert len(key_lines) == len(settings_catalogue())


def test_catalogue_entries_are_complete_and_named_by_rule() -> None:
    catalogue = settings_catalogue()

    assert len({info.key for info in catalogue}) == len(catalogue)
    for info in catalogue:
        assert info.key == f"{info.section}_{info.field}".upper()
        assert info.description and "\n" not in info.description
        assert info.type
    by_key = {info.key: info for info in catalogue}
    assert by_key["APP_PORT"].default == "8088"
    assert by_key["APP_PORT"].type == "integer from 1 to 65535"
    assert by_key["JWT_ALGORITHM"].type == "one of HS256, EdDSA, ES256"
    assert by_key["RATE_LIMIT_REQUESTS_PER_MINUTE"].section == "rate_limit"
    assert by_key["WHATSAPP_ACCESS_TOKEN"].field == "access_token"
