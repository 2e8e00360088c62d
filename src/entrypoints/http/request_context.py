"""Per-request context as raw ASGI middleware: request id, client address, media type, access log.

- ``X-Request-ID`` is echoed when the client sends a sane one (1-128 characters of letters,
  digits, ``.``, ``_``, ``-``), generated otherwise, and set on every response.
- The client address honours X-Forwarded-For only from configured trusted proxies.
- A request with a body must be JSON (``require_json_body``, run after routing so that an unknown
  route is still a 404).
- One access-log line per request: method, route path, status, duration, request id; never a
  body or a query string (searches carry phone numbers and emails).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import UnsupportedMediaType
from entrypoints.http.client_ip import Network, client_ip
from entrypoints.observability import context as log_context
from entrypoints.observability.metrics import Metrics

access_logger = logging.getLogger("entrypoints.http.access")

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def request_id_of(scope: Any) -> str:
    state = scope.get("state") or {}
    return str(state.get("request_id", "unknown"))


def client_ip_of(scope: Any) -> str:
    state = scope.get("state") or {}
    return str(state.get("client_ip", "unknown"))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _has_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    return (length is not None and length.strip() not in ("", "0")) or _header(
        scope, b"transfer-encoding"
    ) is not None


def require_json_body(scope: Scope) -> None:
    """Raise UnsupportedMediaType for a POST, PUT or PATCH whose body is not JSON."""
    if (
        scope.get("method") in _BODY_METHODS
        and _has_body(scope)
        and not _is_json(_header(scope, b"content-type"))
    ):
        raise UnsupportedMediaType()


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_proxies: tuple[Network, ...],
        access_log: bool,
        metrics: Metrics | None = None,
    ) -> None:
        self._app = app
        self._trusted = trusted_proxies
        self._access_log = access_log
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        sent = _header(scope, b"x-request-id")
        request_id = sent if sent and _SANE_ID.match(sent) else secrets.token_hex(16)
        peer = scope.get("client")
        state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
        state["request_id"] = request_id
        state["client_ip"] = client_ip(
            peer[0] if peer else None, _header(scope, b"x-forwarded-for"), self._trusted
        )
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                # Set by the rate limits (entrypoints.http.rate_limits) on success and refusal alike.
                for name, value in (state.get("rate_limit_headers") or {}).items():
                    headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        bound = log_context.request_id.set(request_id)
        user_bound, clinic_bound = log_context.user_id.set(None), log_context.clinic_id.set(None)
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            self._finished(scope, state, status, time.perf_counter() - started, request_id)
            log_context.request_id.reset(bound)
            log_context.user_id.reset(user_bound)
            log_context.clinic_id.reset(clinic_bound)

    def _finished(
        self, scope: Scope, state: dict[str, Any], status: int, elapsed: float, request_id: str
    ) -> None:
        """Metrics and the access log line, still inside the request's log context."""
        if self._metrics is not None:
            # The route template, never the path: ids must not become label values.
            template = scope.get("path_template") or "unmatched"  # type: ignore[typeddict-item]
            self._metrics.observe_request(template, scope["method"], status, elapsed)
            if status == 429 and state.get("rate_limit_headers"):
                self._metrics.rate_limited.labels(
                    state["rate_limit_headers"]["RateLimit-Policy"].split('"')[1]
                ).inc()
        if self._access_log:
            route = scope.get("path_template") or scope.get("path", "")  # type: ignore[typeddict-item]
            access_logger.info(
                "%s %s %s %.1fms request_id=%s", scope["method"], route, status, elapsed * 1000, request_id
            )
