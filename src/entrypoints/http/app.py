"""The Litestar application, built from settings and a Dishka container."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from dishka import AsyncContainer
from dishka.exceptions import NoFactoryError
from dishka.integrations.litestar import DishkaRouter, setup_dishka
from litestar import Litestar, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from sqlalchemy.ext.asyncio import AsyncEngine

from application.messaging.outbox_report import MeasureOutboxBacklog
from application.ports.audit import PhiReadAudit
from application.ports.cache import Cache
from entrypoints.bootstrap import as_system, prepare_store
from entrypoints.config import Settings
from entrypoints.http import (
    appointment_lifecycle,
    appointments,
    audit,
    clinics,
    consents,
    doctors,
    health,
    one_time_codes,
    patient_export,
    patients,
    prescriptions,
    sign_in,
    users,
    webhooks,
)
from entrypoints.http.client_ip import parse_networks
from entrypoints.http.errors import handle_exception
from entrypoints.http.rate_limits import RequestThrottle
from entrypoints.http.request_context import RequestContextMiddleware, require_json_body
from entrypoints.http.security_headers import SecurityHeadersMiddleware
from entrypoints.ioc.profiles import build_container
from entrypoints.observability.metrics import Metrics
from entrypoints.observability.tracing import tracing_plugins
from entrypoints.worker import BackgroundRelay

logger = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def _cors(settings: Settings) -> CORSConfig | None:
    cors = settings.cors
    if not cors.allow_origins:
        return None
    return CORSConfig(
        allow_origins=list(cors.allow_origins),
        allow_methods=list(cors.allow_methods),  # type: ignore[arg-type]
        allow_headers=list(cors.allow_headers),
        allow_credentials=cors.allow_credentials,
        expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
        max_age=cors.max_age_seconds,
    )


async def _before_request(request: Request[Any, Any, Any]) -> None:
    require_json_body(request.scope)
    throttle = await request.state.dishka_container.get(RequestThrottle)
    await throttle.check(request)


def create_app(
    settings: Settings, container: AsyncContainer | None = None, *, span_exporter: Any = None
) -> Litestar:
    """Litestar over ``container`` (built from ``settings`` when not given). The app owns the
    container: it prepares the store on start-up and closes the container (pools, clients) on
    shutdown, after the server has drained in-flight requests. ``span_exporter`` receives the
    spans when tracing is on (tests; otherwise TRACING_OTLP_ENDPOINT decides)."""
    container = container or build_container(settings)
    metrics = Metrics()

    async def on_startup() -> None:
        await prepare_store(container, settings)
        await _watch_pool(container, metrics)
        cache = await container.get(Cache)
        metrics.watch_cache(lambda: cache.stats().as_dict())
        phi_reads = await container.get(PhiReadAudit)
        metrics.watch_audit_buffer(lambda: float(getattr(phi_reads, "pending", 0)))
        # Embedded: the outbox relay runs in this process (elsewhere this does nothing).
        (await container.get(BackgroundRelay)).start()

    @get("/metrics", include_in_schema=False, media_type=Metrics.content_type)
    async def metrics_route() -> Response[bytes]:
        await _measure_outbox(container, metrics)
        return Response(metrics.render(), media_type=Metrics.content_type)

    async def on_shutdown() -> None:
        await (await container.get(BackgroundRelay)).stop()  # sends in flight finish first
        await container.close()

    app = Litestar(
        route_handlers=[
            DishkaRouter("", route_handlers=[*health.ROUTES, metrics_route]),
            DishkaRouter(
                API_PREFIX,
                route_handlers=[
                    *clinics.ROUTES,
                    *users.ROUTES,
                    *sign_in.ROUTES,
                    *one_time_codes.ROUTES,
                    *consents.ROUTES,
                    *doctors.ROUTES,
                    *patients.ROUTES,
                    *patient_export.ROUTES,
                    *appointments.ROUTES,
                    *appointment_lifecycle.ROUTES,
                    *prescriptions.ROUTES,
                    *audit.ROUTES,
                    *webhooks.ROUTES,
                ],
            ),
        ],
        exception_handlers={Exception: handle_exception},
        before_request=_before_request,
        request_max_body_size=settings.app.body_limit_bytes,
        cors_config=_cors(settings),
        openapi_config=OpenAPIConfig(
            title="Clinic backend API",
            version="1.0.0",
            path=f"{API_PREFIX}/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        on_startup=[on_startup],
        plugins=tracing_plugins(settings, exporter=span_exporter),
        on_shutdown=[on_shutdown],
        debug=settings.app.debug,
        logging_config=None,
    )
    setup_dishka(container, app)
    # Outermost, so that every response, a 404 for an unknown route included, has a request id.
    app.asgi_handler = RequestContextMiddleware(
        app.asgi_handler,
        trusted_proxies=parse_networks(settings.security.trusted_proxies),
        access_log=settings.logging.access_log,
        metrics=metrics,
    )
    app.asgi_handler = SecurityHeadersMiddleware(
        app.asgi_handler, production=settings.is_production, docs_path=f"{API_PREFIX}/schema"
    )
    return app


async def _measure_outbox(container: AsyncContainer, metrics: Metrics) -> None:
    """The outbox backlog, read as the system at each scrape; a slow or failing database leaves
    the last figures in place rather than failing the scrape."""
    try:
        async with asyncio.timeout(2), container() as request:
            await as_system(request)
            backlog, age = await (await request.get(MeasureOutboxBacklog))()
    except Exception:
        logger.warning("could not measure the outbox backlog for /metrics", exc_info=True)
        return
    metrics.outbox_due.set(backlog.due)
    metrics.outbox_oldest_due.set(age)


async def _watch_pool(container: AsyncContainer, metrics: Metrics) -> None:
    try:
        engine = await container.get(AsyncEngine)
    except NoFactoryError:
        return  # the memory profile has no database
    pool = engine.pool
    if hasattr(pool, "size") and hasattr(pool, "checkedout"):
        metrics.watch_pool(pool.size, pool.checkedout)
