"""Security headers on every response, as raw ASGI middleware (so routes added later, the 404 of
an unknown route and the error envelope get them too).

- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and ``Referrer-Policy:
  no-referrer`` everywhere.
- ``Content-Security-Policy``: the API answers JSON that no browser should ever run, frame or
  load anything from, so ``default-src 'none'`` and ``frame-ancestors 'none'``. The OpenAPI docs
  page (an HTML response under the docs path) gets a policy that lets the Scalar viewer run: its
  script, stylesheet, favicon and fonts from the CDN it is served from, inline styles (Scalar
  injects them), the document fetched from this origin, and the page's own inline scripts by
  their SHA-256 (computed from the page itself, so a Litestar upgrade that changes them cannot
  break the page silently).
- ``Strict-Transport-Security`` only in production: a development server on plain HTTP must not
  pin a browser to HTTPS for ``localhost`` for two years.
- ``Cache-Control: no-store`` on every ``/api/`` response unless the handler chose its own: any of
  them can carry PHI (patients, appointments, prescriptions), tokens (sign-in) or a clinic's data,
  and none may linger in a browser, a shared proxy or a CDN.

A header the application already set is never replaced.
"""

from __future__ import annotations

import base64
import hashlib
import re

from litestar.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=63072000; includeSubDomains"
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_ORIGINS = "https://cdn.jsdelivr.net"
DOCS_FONTS = "https://fonts.scalar.com"
_DOCS_CSP = (
    "default-src 'none'; "
    "script-src 'self' {origins}{hashes}; "
    "style-src 'self' 'unsafe-inline' {origins} {fonts}; "
    "font-src 'self' data: {origins} {fonts}; "
    "img-src 'self' data: {origins}; "
    "connect-src 'self'; "
    "worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def docs_policy(page: bytes) -> str:
    """The docs page's policy, allowing exactly the inline scripts ``page`` holds."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return _DOCS_CSP.format(origins=DOCS_ORIGINS, fonts=DOCS_FONTS, hashes=hashes)


class SecurityHeadersMiddleware:
    def __init__(
        self, app: ASGIApp, *, production: bool, docs_path: str, no_store_prefix: str = "/api/"
    ) -> None:
        self._app = app
        self._production = production
        self._docs_path = docs_path.rstrip("/")
        self._no_store_prefix = no_store_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        no_store = path.startswith(self._no_store_prefix)
        under_docs = path == self._docs_path or path.startswith(self._docs_path + "/")
        held: Message | None = None  # the docs page's start, sent once its body is known
        body = bytearray()

        async def send_secured(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if under_docs and _is_html(headers):
                    held = {**message, "headers": headers}
                    return
                message["headers"] = self._secured(headers, API_CSP, no_store)
            elif message["type"] == "http.response.body" and held is not None:
                body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                held["headers"] = self._secured(held["headers"], docs_policy(bytes(body)), no_store)
                await send(held)
                held = None
                message = {**message, "body": bytes(body)}
            await send(message)

        await self._app(scope, receive, send_secured)

    def _secured(
        self, headers: list[tuple[bytes, bytes]], policy: str, no_store: bool
    ) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        wanted = [*_ALWAYS, (b"content-security-policy", policy.encode())]
        if self._production:
            wanted.append((b"strict-transport-security", HSTS.encode()))
        if no_store:
            wanted.append((b"cache-control", b"no-store"))
        return headers + [(name, value) for name, value in wanted if name not in present]


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.startswith(b"text/html") for name, value in headers)
