"""Building blocks of the settings dataclasses: the enumerations and the `setting` field helper."""

import ipaddress
import os
from collections.abc import Callable
from dataclasses import field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class AppEnv(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


class Profile(StrEnum):
    MEMORY = "memory"
    EMBEDDED = "embedded"
    PRODUCTION = "production"


class CacheProvider(StrEnum):
    MEMORY = "memory"
    REDIS = "redis"
    DRAGONFLY = "dragonfly"


class JwtAlgorithm(StrEnum):
    HS256 = "HS256"
    EDDSA = "EdDSA"
    ES256 = "ES256"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class EmailProvider(StrEnum):
    CONSOLE = "console"
    SMTP = "smtp"


# Public so the safety checks can recognise an unchanged development default.
DEFAULT_JWT_SECRET = "dev-insecure-jwt-secret-change-me-0123456789"  # noqa: S105
DEFAULT_OTP_HASH_KEY = "dev-insecure-otp-key-change-me-0123456789"
DEFAULT_BLIND_INDEX_KEY = "dev-insecure-blind-index-key-change-me-01234"
DEFAULT_AUDIT_KEY = "dev-insecure-audit-key-change-me-0123456789"


# Checks return the error text for a bad value, or None. Named `..._problem` so that no field
# called `url` can shadow them inside a class body.


def setting(
    default: Any,
    description: str,
    *,
    secret: bool = False,
    doc_default: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    check: Callable[[str], str | None] | None = None,
) -> Any:
    """Declare a field: `check` returns an error text ("expected ...") for a bad item, else None."""
    meta = {
        "description": description,
        "secret": secret,
        "doc_default": doc_default,
        "minimum": minimum,
        "maximum": maximum,
        "check": check,
    }
    return field(default=default, metadata=MappingProxyType(meta))


def pool_size_default() -> int:
    # Two connections per core keeps a small box busy without exhausting PostgreSQL's slots.
    return min(10, max(2, 2 * (os.cpu_count() or 1)))


def address_problem(item: str) -> str | None:
    try:
        ipaddress.ip_network(item, strict=False)
    except ValueError:
        return "expected IP addresses or CIDR networks"
    return None


def key_ring_problem(item: str) -> str | None:
    """An empty ring is allowed here (development); production requires one (safety.py)."""
    from adapters.crypto.field_cipher import parse_key_ring

    if not item.strip():
        return None
    try:
        parse_key_ring(item)
    except ValueError as error:
        return f"expected kid:base64-of-32-bytes[,kid:...] (first active): {error}"
    return None


def url_problem(item: str) -> str | None:
    return None if "://" in item else "expected a URL such as scheme://host/name"
