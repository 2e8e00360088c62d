"""Messaging settings: the relay's APP_OUTBOX_* keys, the email provider per environment, and
what is refused (the console in production, TLS together with STARTTLS)."""

from pathlib import Path

import pytest

from entrypoints.config import SettingsError, load_settings
from entrypoints.config.fields import EmailProvider

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


@pytest.mark.parametrize(
    ("environ", "provider"),
    [
        ({}, EmailProvider.CONSOLE),
        ({"APP_PROFILE": "memory"}, EmailProvider.CONSOLE),
        (SAFE_PRODUCTION, EmailProvider.SMTP),
        ({**SAFE_PRODUCTION, "APP_ENV": "staging", "APP_PROFILE": "production"}, EmailProvider.SMTP),
    ],
)
def test_email_goes_to_the_console_in_development_and_over_smtp_in_production(
    tmp_path: Path, environ: dict[str, str], provider: EmailProvider
) -> None:
    assert load_settings(environ, base_dir=tmp_path, in_container=False).email.provider is provider


def test_the_console_channel_is_refused_in_production(tmp_path: Path) -> None:
    found = problems({**SAFE_PRODUCTION, "EMAIL_PROVIDER": "console"}, tmp_path)

    assert list(found) == ["EMAIL_PROVIDER"]
    assert "refused in production" in found["EMAIL_PROVIDER"]


def test_tls_and_starttls_together_are_refused_everywhere(tmp_path: Path) -> None:
    found = problems({"EMAIL_SMTP_TLS": "true", "EMAIL_SMTP_STARTTLS": "true"}, tmp_path)

    assert list(found) == ["EMAIL_SMTP_TLS"]


def test_the_relay_settings_are_read_and_checked(tmp_path: Path) -> None:
    environ = {"APP_OUTBOX_LEASE_SECONDS": "5", "APP_OUTBOX_BATCH_SIZE": "7", "APP_OUTBOX_MAX_ATTEMPTS": "3"}
    app = load_settings(environ, base_dir=tmp_path, in_container=False).app
    assert (app.outbox_lease_seconds, app.outbox_batch_size, app.outbox_max_attempts) == (5.0, 7, 3)

    assert set(problems({"APP_OUTBOX_BATCH_SIZE": "0", "APP_OUTBOX_LEASE_SECONDS": "0"}, tmp_path)) == {
        "APP_OUTBOX_BATCH_SIZE",
        "APP_OUTBOX_LEASE_SECONDS",
    }
