"""Liveness and readiness."""

from __future__ import annotations

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Request, Response, get

from domain.errors import ServiceUnavailable
from entrypoints.http.errors import ErrorOut, error_response
from entrypoints.http.openapi import error_responses
from entrypoints.http.request_context import request_id_of
from entrypoints.ioc.readiness import ReadinessProbes


class HealthOut(msgspec.Struct):
    status: str
    checks: dict[str, str]


@get("/health/live", tags=["health"], responses=error_responses())
async def live() -> HealthOut:
    """The process answers."""
    return HealthOut(status="ok", checks={})


@get("/health/ready", tags=["health"], responses=error_responses(503))
async def ready(
    request: Request, probes: FromDishka[ReadinessProbes]
) -> Response[HealthOut] | Response[ErrorOut]:
    """Every dependency of the active profile answers; 503 names the ones that do not."""
    failing = await probes.failing()
    if failing:
        error = ServiceUnavailable(
            f"Not ready: {', '.join(failing)} unavailable.", details={name: "unavailable" for name in failing}
        )
        return error_response(error, request_id_of(request.scope))
    return Response(HealthOut(status="ok", checks={p.name: "ok" for p in probes.probes}))


ROUTES = [live, ready]
