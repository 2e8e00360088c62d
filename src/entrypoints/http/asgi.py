"""ASGI entry for servers: ``entrypoints.http.asgi:app_from_environment`` (a factory)."""

from __future__ import annotations

from litestar import Litestar

from entrypoints.config import load_settings
from entrypoints.http.app import create_app
from entrypoints.logging_setup import configure_logging


def app_from_environment() -> Litestar:
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)
