"""Settings that parse but must not run.

In every environment:
- `*` in CORS_ALLOW_ORIGINS together with CORS_ALLOW_CREDENTIALS=true (any site could make
  credentialed requests);
- WHATSAPP_ENABLED=true without WHATSAPP_ACCESS_TOKEN or WHATSAPP_PHONE_NUMBER_ID (messages,
  OTP codes among them, would fail only when first sent);
- EMAIL_SMTP_TLS=true together with EMAIL_SMTP_STARTTLS=true (one connection cannot do both).

In production (APP_ENV=production or APP_PROFILE=production):
- JWT_SECRET left at the development default, or shorter than 32 characters with HS256;
- SECURITY_PHI_ENCRYPTION_KEY empty;
- APP_DEBUG=true;
- EMAIL_PROVIDER=console (the console channel prints messages, sign-in codes among them, to the
  terminal);
- SECURITY_OTP_HASH_KEY, SECURITY_BLIND_INDEX_KEY or SECURITY_AUDIT_KEY left at the development default;
- WHATSAPP_ENABLED=true without WHATSAPP_APP_SECRET or WHATSAPP_WEBHOOK_VERIFY_TOKEN (delivery
  webhooks could not be verified, so uncertain sends would never be reconciled).
"""

from entrypoints.config.fields import (
    DEFAULT_AUDIT_KEY,
    DEFAULT_BLIND_INDEX_KEY,
    DEFAULT_JWT_SECRET,
    DEFAULT_OTP_HASH_KEY,
    EmailProvider,
    JwtAlgorithm,
)
from entrypoints.config.sections import Settings

MIN_HS256_SECRET_LENGTH = 32


def _everywhere(settings: Settings) -> list[tuple[str, str]]:
    problems = []
    cors = settings.cors
    if "*" in cors.allow_origins and cors.allow_credentials:
        problems.append(
            (
                "CORS_ALLOW_ORIGINS",
                "'*' cannot be combined with CORS_ALLOW_CREDENTIALS=true; list the origins",
            )
        )
    whatsapp = settings.whatsapp
    if whatsapp.enabled:
        for key, value in (
            ("WHATSAPP_ACCESS_TOKEN", whatsapp.access_token),
            ("WHATSAPP_PHONE_NUMBER_ID", whatsapp.phone_number_id),
        ):
            if not value:
                problems.append((key, "required when WHATSAPP_ENABLED is true"))
    if settings.email.smtp_tls and settings.email.smtp_starttls:
        problems.append(("EMAIL_SMTP_TLS", "cannot be combined with EMAIL_SMTP_STARTTLS=true; choose one"))
    return problems


def _production(settings: Settings) -> list[tuple[str, str]]:
    problems = []
    jwt = settings.jwt
    if jwt.secret == DEFAULT_JWT_SECRET:
        problems.append(
            ("JWT_SECRET", "the development default is refused in production; set a random secret")
        )
    elif jwt.algorithm is JwtAlgorithm.HS256 and len(jwt.secret) < MIN_HS256_SECRET_LENGTH:
        problems.append(
            ("JWT_SECRET", f"expected at least {MIN_HS256_SECRET_LENGTH} characters for HS256 in production")
        )
    if not settings.security.phi_encryption_key:
        problems.append(("SECURITY_PHI_ENCRYPTION_KEY", "required in production"))
    if settings.app.debug:
        problems.append(("APP_DEBUG", "must be false in production"))
    if settings.email.provider is EmailProvider.CONSOLE:
        problems.append(("EMAIL_PROVIDER", "the console channel is refused in production; use smtp"))
    for key, value, default in (
        ("SECURITY_OTP_HASH_KEY", settings.security.otp_hash_key, DEFAULT_OTP_HASH_KEY),
        ("SECURITY_BLIND_INDEX_KEY", settings.security.blind_index_key, DEFAULT_BLIND_INDEX_KEY),
        ("SECURITY_AUDIT_KEY", settings.security.audit_key, DEFAULT_AUDIT_KEY),
    ):
        if value == default:
            problems.append((key, "the development default is refused in production; set a random key"))
    whatsapp = settings.whatsapp
    if whatsapp.enabled:
        for key, value in (
            ("WHATSAPP_APP_SECRET", whatsapp.app_secret),
            ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", whatsapp.webhook_verify_token),
        ):
            if not value:
                problems.append((key, "required in production when WHATSAPP_ENABLED is true"))
    return problems


def unsafe_settings(settings: Settings) -> list[tuple[str, str]]:
    """Every rule above that `settings` breaks, as `(key, text)` pairs."""
    problems = _everywhere(settings)
    if settings.is_production:
        problems.extend(_production(settings))
    return problems
