"""Settings that parse but are refused: production rules, and CORS everywhere."""

from pathlib import Path

import pytest

from entrypoints.config import SettingsError, load_settings

SAFE_PRODUCTION = {
    "APP_ENV": "production",
    "JWT_SECRET": "a-very-long-random-production-secret-0001",
    "SECURITY_PHI_ENCRYPTION_KEY": "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
    "SECURITY_BLIND_INDEX_KEY": "blind-key-0123456789abcdef0123456789abcdef",
    "SECURITY_AUDIT_KEY": "audit-key-0123456789abcdef0123456789abcdef",
    "SECURITY_OTP_HASH_KEY": "otp-key-0123456789abcdef0123456789abcdef",
}


def problems(environ: dict[str, str], tmp_path: Path) -> dict[str, str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ, base_dir=tmp_path, in_container=False)
    return dict(caught.value.problems)


def test_safe_production_settings_load(tmp_path: Path) -> None:
    settings = load_settings(SAFE_PRODUCTION, base_dir=tmp_path, in_container=False)

    assert settings.app.env == "production"


@pytest.mark.parametrize(
    ("override", "key", "text"),
    [
        ({"JWT_SECRET": ""}, "JWT_SECRET", "expected at least 32 characters for HS256 in production"),
        ({"JWT_SECRET": "short-but-not-empty"}, "JWT_SECRET", "expected at least 32 characters"),
        ({"JWT_SECRET": "dev-insecure-jwt-secret-change-me-0123456789"}, "JWT_SECRET", "development default"),
        ({"SECURITY_PHI_ENCRYPTION_KEY": ""}, "SECURITY_PHI_ENCRYPTION_KEY", "required in production"),
        ({"APP_DEBUG": "true"}, "APP_DEBUG", "must be false in production"),
        (
            {"SECURITY_OTP_HASH_KEY": "dev-insecure-otp-key-change-me-0123456789"},
            "SECURITY_OTP_HASH_KEY",
            "development default",
        ),
        (
            {"CORS_ALLOW_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": "true"},
            "CORS_ALLOW_ORIGINS",
            "'*' cannot be combined with CORS_ALLOW_CREDENTIALS=true",
        ),
    ],
)
def test_each_unsafe_production_setting_is_refused(
    tmp_path: Path, override: dict[str, str], key: str, text: str
) -> None:
    found = problems({**SAFE_PRODUCTION, **override}, tmp_path)

    assert list(found) == [key]
    assert text in found[key]


def test_a_short_secret_is_allowed_for_asymmetric_algorithms(tmp_path: Path) -> None:
    environ = {**SAFE_PRODUCTION, "JWT_ALGORITHM": "EdDSA", "JWT_SECRET": "/run/secrets/jwt.pem"}

    assert load_settings(environ, base_dir=tmp_path, in_container=False).jwt.secret == "/run/secrets/jwt.pem"


def test_all_production_refusals_come_in_one_message(tmp_path: Path) -> None:
    environ = {
        "APP_ENV": "production",
        "APP_DEBUG": "on",
        "CORS_ALLOW_ORIGINS": "*",
        "CORS_ALLOW_CREDENTIALS": "1",
    }

    with pytest.raises(SettingsError) as caught:
        load_settings(environ, base_dir=tmp_path, in_container=False)

    message = str(caught.value)
    for key in (
        "JWT_SECRET",
        "SECURITY_PHI_ENCRYPTION_KEY",
        "APP_DEBUG",
        "SECURITY_OTP_HASH_KEY",
        "CORS_ALLOW_ORIGINS",
    ):
        assert f"\n  {key}: " in message
    assert "dev-insecure" not in message


def test_the_production_profile_alone_triggers_the_rules(tmp_path: Path) -> None:
    found = problems({"APP_ENV": "development", "APP_PROFILE": "production"}, tmp_path)

    assert set(found) == {
        "JWT_SECRET",
        "SECURITY_PHI_ENCRYPTION_KEY",
        "SECURITY_OTP_HASH_KEY",
        "SECURITY_BLIND_INDEX_KEY",
        "SECURITY_AUDIT_KEY",
    }


def test_development_accepts_the_development_defaults(tmp_path: Path) -> None:
    settings = load_settings({"APP_DEBUG": "true"}, base_dir=tmp_path, in_container=False)

    assert settings.app.debug is True


def test_wildcard_cors_with_credentials_is_refused_everywhere(tmp_path: Path) -> None:
    found = problems({"CORS_ALLOW_ORIGINS": "https://a.example,*", "CORS_ALLOW_CREDENTIALS": "yes"}, tmp_path)

    assert list(found) == ["CORS_ALLOW_ORIGINS"]
    wildcard_alone = load_settings({"CORS_ALLOW_ORIGINS": "*"}, base_dir=tmp_path, in_container=False)
    assert wildcard_alone.cors.allow_origins == ("*",)


def test_enabled_whatsapp_needs_its_credentials(tmp_path: Path) -> None:
    found = problems({"WHATSAPP_ENABLED": "true"}, tmp_path)

    assert set(found) == {"WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID"}
    environ = {"WHATSAPP_ENABLED": "true", "WHATSAPP_ACCESS_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "123"}
    assert load_settings(environ, base_dir=tmp_path, in_container=False).whatsapp.enabled is True


def test_unsafe_and_invalid_keys_share_one_message(tmp_path: Path) -> None:
    found = problems({**SAFE_PRODUCTION, "APP_DEBUG": "true", "APP_PORT": "http"}, tmp_path)

    assert set(found) == {"APP_DEBUG", "APP_PORT"}


def test_production_whatsapp_needs_the_webhook_secrets(tmp_path: Path) -> None:
    whatsapp = {"WHATSAPP_ENABLED": "true", "WHATSAPP_ACCESS_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "123"}
    found = problems({**SAFE_PRODUCTION, **whatsapp}, tmp_path)

    assert set(found) == {"WHATSAPP_APP_SECRET", "WHATSAPP_WEBHOOK_VERIFY_TOKEN"}
    complete = {**whatsapp, "WHATSAPP_APP_SECRET": "s" * 32, "WHATSAPP_WEBHOOK_VERIFY_TOKEN": "v" * 16}
    settings = load_settings({**SAFE_PRODUCTION, **complete}, base_dir=tmp_path, in_container=False)
    assert settings.whatsapp.enabled is True
    assert load_settings(whatsapp, base_dir=tmp_path, in_container=False).whatsapp.enabled is True
