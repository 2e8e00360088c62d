"""Defaults that depend on where we run, on the profile, or on another setting.

- Inside a container (`/.dockerenv` or `/run/.containerenv` exists) services are reached by their
  compose names and the server binds every interface; outside, everything is on 127.0.0.1.
- DATABASE_URL: SQLite under APP_DATA_DIR for the memory and embedded profiles, PostgreSQL for
  the production profile. DATABASE_MIGRATE_URL defaults to the effective DATABASE_URL.
- CACHE_PROVIDER: redis for the production profile, memory otherwise.
- EMAIL_PROVIDER: smtp in production (APP_ENV or APP_PROFILE), console otherwise.
"""

from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import Any

from entrypoints.config.fields import AppEnv, CacheProvider, EmailProvider, Profile

CONTAINER_MARKERS = (Path("/.dockerenv"), Path("/run/.containerenv"))

Resolved = Mapping[str, Any]


def running_in_container() -> bool:
    return any(marker.exists() for marker in CONTAINER_MARKERS)


def _local_or(container_host: str, in_container: bool) -> str:
    return container_host if in_container else "127.0.0.1"


def _app_host(resolved: Resolved, in_container: bool) -> str:
    # In a container the published port only reaches a server that listens on every interface.
    return _local_or("0.0.0.0", in_container)  # noqa: S104


def _database_url(resolved: Resolved, in_container: bool) -> str:
    if resolved["APP_PROFILE"] is Profile.PRODUCTION:
        host = _local_or("postgres", in_container)
        return f"postgresql+asyncpg://healthcare@{host}:5432/healthcare"
    path = PurePath(resolved["APP_DATA_DIR"], "healthcare.sqlite3").as_posix()
    return f"sqlite+aiosqlite:///{path}"


def _migrate_url(resolved: Resolved, in_container: bool) -> str:
    return str(resolved["DATABASE_URL"])


def _cache_provider(resolved: Resolved, in_container: bool) -> CacheProvider:
    return CacheProvider.REDIS if resolved["APP_PROFILE"] is Profile.PRODUCTION else CacheProvider.MEMORY


def _cache_host(resolved: Resolved, in_container: bool) -> str:
    name = "dragonfly" if resolved["CACHE_PROVIDER"] is CacheProvider.DRAGONFLY else "redis"
    return _local_or(name, in_container)


def _email_provider(resolved: Resolved, in_container: bool) -> EmailProvider:
    # The console prints codes to the terminal, which production refuses (safety.py).
    production = resolved["APP_ENV"] is AppEnv.PRODUCTION or resolved["APP_PROFILE"] is Profile.PRODUCTION
    return EmailProvider.SMTP if production else EmailProvider.CONSOLE


def _smtp_host(resolved: Resolved, in_container: bool) -> str:
    return _local_or("mailpit", in_container)


# Keyed by env key; each one only reads keys declared before it, which are resolved first.
DERIVED: Mapping[str, Callable[[Resolved, bool], Any]] = {
    "APP_HOST": _app_host,
    "DATABASE_URL": _database_url,
    "DATABASE_MIGRATE_URL": _migrate_url,
    "CACHE_PROVIDER": _cache_provider,
    "CACHE_HOST": _cache_host,
    "EMAIL_PROVIDER": _email_provider,
    "EMAIL_SMTP_HOST": _smtp_host,
}
