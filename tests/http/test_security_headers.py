"""Security headers on every response: JSON routes, the error envelope, an unknown route, the
docs page; HSTS only in production; no-store on every /api/ response unless a handler chose."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from http_api import PRODUCTION_SECRETS, Api, embedded_settings, open_api
from litestar import Litestar, Response, get
from litestar.testing import AsyncTestClient

from entrypoints.http.security_headers import API_CSP, HSTS, SecurityHeadersMiddleware

ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
async def production_like(tmp_path: Path) -> AsyncIterator[Api]:
    """APP_ENV=production (so production rules apply) on the embedded store: no server needed."""
    settings = embedded_settings(tmp_path, APP_ENV="production", **PRODUCTION_SECRETS)
    assert settings.is_production
    async for ready in open_api(settings):
        yield ready


def assert_secured(response, *, production: bool, csp: str | None = API_CSP) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, name
    if csp is not None:
        assert response.headers.get("content-security-policy") == csp
    assert response.headers.get("strict-transport-security") == (HSTS if production else None)


async def test_json_route_in_development_has_no_hsts(api: Api) -> None:
    response = await api.client.get("/api/v1/clinics", headers=await api.demo_clinic_admin())
    assert response.status_code == 200
    assert_secured(response, production=False)
    assert response.headers["cache-control"] == "no-store"


async def test_json_route_in_production_has_hsts(production_like: Api) -> None:
    api = production_like
    response = await api.client.get("/api/v1/auth/me", headers=await api.super_admin())
    assert response.status_code == 200
    assert_secured(response, production=True)
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("production", [False, True])
async def test_error_envelope_and_unknown_route_are_secured(
    production: bool, api: Api, production_like: Api
) -> None:
    client = (production_like if production else api).client
    unauthorised = await client.get("/api/v1/clinics")
    assert unauthorised.status_code == 401
    assert_secured(unauthorised, production=production)
    assert unauthorised.headers["cache-control"] == "no-store"

    missing = await client.get("/api/v1/no-such-route")
    assert missing.status_code == 404 and set(missing.json()) == {"error"}
    assert_secured(missing, production=production)
    assert missing.headers["cache-control"] == "no-store"

    outside = await client.get("/nowhere")  # not under /api/: secured, cacheable as it likes
    assert outside.status_code == 404
    assert_secured(outside, production=production)
    assert "cache-control" not in outside.headers


async def test_health_is_secured_without_no_store(api: Api) -> None:
    response = await api.client.get("/health/live")
    assert_secured(response, production=False)
    assert "cache-control" not in response.headers


async def test_docs_page_gets_a_policy_that_lets_it_render(api: Api) -> None:
    response = await api.client.get("/api/v1/schema")
    assert response.status_code == 200 and "html" in response.headers["content-type"]
    assert_secured(response, production=False, csp=None)
    policy = dict(
        part.partition(" ")[::2] for part in response.headers["content-security-policy"].split("; ")
    )
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    page = response.content
    # Everything the page loads from elsewhere is allowed by the directive that governs it.
    for src in re.findall(rb'<script[^>]*src="([^"]+)"', page):
        assert _origin(src) in policy["script-src"], src
    for href in re.findall(rb"<link[^>]*rel=.stylesheet.[^>]*href=\"([^\"]+)\"", page):
        assert _origin(href) in policy["style-src"], href
    for href in re.findall(rb"<link[^>]*rel='icon'[^>]*href='([^']+)'", page):
        assert _origin(href) in policy["img-src"], href
    assert "'self'" in policy["connect-src"]  # the viewer fetches openapi.json from here
    # Each inline script is allowed by its hash, and nothing else inline is.
    for script in re.findall(rb"<script(?![^>]*src=)[^>]*>(.*?)</script>", page, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert response.headers["content-length"] == str(len(page))

    document = await api.client.get("/api/v1/schema/openapi.json")
    assert document.status_code == 200
    assert_secured(document, production=False)


async def test_a_handler_keeps_its_own_cache_control_and_headers() -> None:
    @get("/api/v1/public", sync_to_thread=False)
    def public() -> dict[str, str]:
        return {"ok": "yes"}

    @get("/api/v1/own", sync_to_thread=False)
    def own() -> Response[dict[str, str]]:
        return Response(
            {"ok": "yes"}, headers={"Cache-Control": "public, max-age=60", "X-Frame-Options": "SAMEORIGIN"}
        )

    app = Litestar([public, own])
    app.asgi_handler = SecurityHeadersMiddleware(
        app.asgi_handler, production=True, docs_path="/api/v1/schema"
    )
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/api/v1/own")
        assert response.headers["cache-control"] == "public, max-age=60"
        assert response.headers["x-frame-options"] == "SAMEORIGIN"
        assert response.headers["strict-transport-security"] == HSTS
        assert (await client.get("/api/v1/public")).headers["cache-control"] == "no-store"


def _origin(url: bytes) -> str:
    match = re.match(rb"(https?://[^/]+)", url)
    return match.group(1).decode() if match else "'self'"
