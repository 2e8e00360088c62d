"""Cached appointment reads on the production profile (PostgreSQL, L1 + L2 on the real Redis): the
copy in Redis is sealed (AES-GCM), so the patient's words never reach the cache server in clear,
and the read is served from the cache the second time while still answering with them."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import msgspec
import pytest
from http_api import Api, open_api, production_database
from test_appointment_lifecycle_api import APPOINTMENTS, Place

from adapters.cache.codec import ENCRYPTED
from adapters.cache.redis_layer import RemoteEntry
from application.appointments.get_appointment import GetAppointment
from application.ports.cache import Cache
from application.prescriptions.get_prescription import GetPrescription
from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from cache_support import shared_redis
from entrypoints.bootstrap import as_system
from entrypoints.ioc.caching import ContainerReads
from entrypoints.ioc.profiles import build_container

REASON = b"Chest pain when climbing stairs"  # what Place.book writes as the patient's words


class OperatedApi(Api):
    """The app's client, with a container of the test's own loop for seeding (each app's pools
    belong to the app's loop); the production profile has no demo data, so its super admin is
    made by the test."""

    operator: dict[str, str] = {}

    async def super_admin(self) -> dict[str, str]:
        return self.operator


@pytest.mark.redis
@pytest.mark.postgres
async def test_a_cached_appointment_is_sealed_on_the_cache_server(tmp_path: Path) -> None:
    async with (
        shared_redis(RATE_LIMIT_ENABLED="false") as redis,  # keys are counted: the cache's only
        production_database(tmp_path, **redis.settings) as settings,
    ):
        seeding = build_container(settings)
        try:
            async for app in open_api(settings):
                api = OperatedApi(app.client, seeding, settings)
                api.operator = await api.auth(await _operator(api))
                place = await Place(api).setup("Sealed")
                [appointment] = await place.book(place.at(10))

                for _ in range(2):
                    read = await api.client.get(f"{APPOINTMENTS}/{appointment}", headers=place.as_patient)
                    assert read.status_code == 200, read.text
                    assert read.json()["reason"] == REASON.decode()
                assert (await app.container.get(Cache)).stats().l1_hits >= 1

                raw = await redis.client.get(f"{redis.prefix}:e:{{appointment:{place.clinic}:{appointment}}}")
                assert raw is not None, "the appointment was not stored in L2"
                entry = msgspec.msgpack.decode(raw, type=RemoteEntry)
                assert entry.frame[0] & ENCRYPTED
                assert REASON not in raw and b"Chest" not in raw
                keys = [key async for key in redis.client.scan_iter(f"{redis.prefix}:*", count=1000)]
                assert not any(b"Chest" in key for key in keys)
        finally:
            await seeding.close()


async def _operator(api: Api) -> str:
    email = f"ops-{uuid4().hex[:8]}@example.com"
    async with api.container() as request:
        await as_system(request)
        await (await request.get(CreateSuperAdmin))(CreateSuperAdminCommand(email=email, name="Ops"))
    return email


async def test_background_refreshes_of_clinical_reads_resolve_outside_a_request(api: Api) -> None:
    """A stale entry is refreshed through a use case of its own (no caller, no HTTP request)."""
    place = await Place(api).setup("Detached")
    [appointment] = await place.book(place.at(10))
    reads = ContainerReads(api.container)
    clinic, wanted = UUID(place.clinic), UUID(appointment)
    found = await reads.run(GetAppointment, lambda read: read.load(clinic, wanted))
    assert found is not None and found.reason == REASON.decode()
    assert await reads.run(GetPrescription, lambda read: read.load(clinic, uuid4())) is None
