"""Who and what a log line is about: request, user and clinic ids, carried in context variables."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id: ContextVar[str | None] = ContextVar("user_id", default=None)
clinic_id: ContextVar[str | None] = ContextVar("clinic_id", default=None)
