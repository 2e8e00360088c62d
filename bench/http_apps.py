"""The comparison apps of bench/http_bench.py, served by granian exactly as `healthcare serve` serves ours.

    python -m bench.http_apps TARGET --port P --workers N     (cwd: the repository, PYTHONPATH=.:src)

Targets (ASGI factories):
- ``ceiling``: a bare Litestar app, one route returning a constant msgspec Struct: what the
  framework and the server cost alone;
- ``hand_written``: one Litestar route running the appointment query of our GET
  (``SELECT ... FROM appointments WHERE clinic_id = $1 AND id = $2``) through an asyncpg pool
  (``BENCH_RAW_DSN``), returning the row as a Struct: no auth, no tenancy, no audit, no ORM;
- ``without_claims_cache``: our app from the environment's settings, with the verified-claims
  cache taken out (every request verifies its JWT with PyJWT), for the on/off row.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from dishka import Provider, Scope, provide
from litestar import Litestar, get
from litestar.exceptions import NotFoundException

from application.ports.clock import Clock
from application.ports.security import AccessTokens
from entrypoints.config import Settings, load_settings
from entrypoints.http.app import create_app
from entrypoints.http.asgi import freeze_startup_heap
from entrypoints.ioc.core import jwt_access_tokens
from entrypoints.ioc.profiles import build_container
from entrypoints.logging_setup import configure_logging

COLUMNS = (
    "clinic_id, id, location_id, doctor_id, patient_id, starts_at, ends_at, status, reason_sealed, "
    "hold_expires_at, cancelled_reason_sealed, cancelled_by, cancelled_at, version, created_at, "
    "created_by, updated_at, updated_by"
)
QUERY = f"SELECT {COLUMNS} FROM appointments WHERE clinic_id = $1 AND id = $2"


class Constant(msgspec.Struct, rename="camel"):
    id: str
    status: str
    version: int


CONSTANT = Constant(id="0190f0a0-0000-7000-8000-000000000000", status="BOOKED", version=1)


@get("/ceiling")
async def constant() -> Constant:
    return CONSTANT


def ceiling() -> Litestar:
    return Litestar(route_handlers=[constant], openapi_config=None)


class RawAppointment(msgspec.Struct, rename="camel"):
    clinic_id: UUID
    id: UUID
    location_id: UUID
    doctor_id: UUID
    patient_id: UUID
    starts_at: datetime
    ends_at: datetime
    status: str
    version: int


def hand_written() -> Litestar:
    import asyncpg

    pool: dict[str, Any] = {}

    async def open_pool() -> None:
        pool["pool"] = await asyncpg.create_pool(os.environ["BENCH_RAW_DSN"], min_size=4, max_size=20)

    async def close_pool() -> None:
        await pool["pool"].close()

    @get("/raw/{clinic_id:uuid}/{appointment_id:uuid}")
    async def appointment(clinic_id: UUID, appointment_id: UUID) -> RawAppointment:
        row = await pool["pool"].fetchrow(QUERY, clinic_id, appointment_id)
        if row is None:
            raise NotFoundException()
        return RawAppointment(**{f: row[f] for f in RawAppointment.__struct_fields__})

    return Litestar(
        route_handlers=[appointment], on_startup=[open_pool], on_shutdown=[close_pool], openapi_config=None
    )


class UncachedTokens(Provider):
    scope = Scope.APP

    @provide
    def access_tokens(self, settings: Settings, clock: Clock) -> AccessTokens:
        return jwt_access_tokens(settings, clock)


def without_claims_cache() -> Litestar:
    settings = load_settings()
    configure_logging(settings)
    app = create_app(settings, build_container(settings, UncachedTokens()))
    app.on_startup.append(freeze_startup_heap)  # as app_from_environment does: only the tokens differ
    return app


def main() -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    parser = argparse.ArgumentParser()
    parser.add_argument("target", choices=("ceiling", "hand_written", "without_claims_cache"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # The same Server arguments as entrypoints.cli._serve.
    Server(
        f"bench.http_apps:{args.target}",
        address="127.0.0.1",
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        factory=True,
        log_access=False,
    ).serve()


if __name__ == "__main__":
    main()
