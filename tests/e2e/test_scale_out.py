"""Scale-out on one machine: two ``healthcare serve`` processes and two ``healthcare worker``
processes on loopback, sharing one PostgreSQL database and one Redis key prefix (production
profile; the WhatsApp channel points at the fake Graph API).

- Bookings sent at once through both APIs for the same slots never double-book: 20 slots, 4
  competing bookings each, spread over both APIs, give exactly one 201 per slot and 409 for the
  rest, and the database holds no overlapping active appointments.
- A write on one API reaches the other's L1: a doctor's availability and a clinic, read (and
  cached) through API B, are changed through API A; B's next reads show the change within 2 s,
  long before the entries' TTL (60 s and 1 h).
- No outbox message is sent twice: every booking's confirmation, made by the two workers'
  dispatchers and delivered by their two relays, reaches the fake exactly once.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_clinic import Person, World, seed, utc_text
from live_deployment import WHATSAPP, deployment, eventually, outbox_rows
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from fakes.graph_api import FakeGraphApi

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SLOTS = 20
COMPETITORS = 4
PEOPLE = [
    Person(f"Patient {n}", f"+49151123410{n:02d}", f"patient{n}@patients.example", whatsapp=True)
    for n in range(COMPETITORS)
]
FRESH_WITHIN = 2.0  # seconds; the entries would live 60 s (availability) and 1 h (clinic)
SETTINGS = {
    **WHATSAPP,
    "APP_OUTBOX_BATCH_SIZE": "3",  # small claims, so that both relays take a share
    "MESSAGING_DISPATCH_BATCH_SIZE": "5",
    # The limiter runs, on the shared Redis, with room for this test's bursts from one address.
    "RATE_LIMIT_REQUESTS_PER_MINUTE": "5000",
    "RATE_LIMIT_USER_REQUESTS_PER_MINUTE": "5000",
}
OVERLAPS = text(
    """
    SELECT count(*) FROM appointments a JOIN appointments b
      ON a.clinic_id = b.clinic_id AND a.id < b.id
     AND (a.doctor_id = b.doctor_id OR a.patient_id = b.patient_id)
     AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
    WHERE a.status IN ('HELD', 'BOOKED', 'CHECKED_IN') AND b.status IN ('HELD', 'BOOKED', 'CHECKED_IN')
    """
)


async def test_two_apis_and_two_relays_share_one_database_and_one_redis(tmp_path: Path) -> None:
    began = time.monotonic()
    graph = FakeGraphApi().start()
    try:
        async with deployment(tmp_path, **SETTINGS, WHATSAPP_API_URL=graph.url) as d:
            with d.processes() as run:
                a_api, b_api = run.apis("api-a", "api-b")
                world = await seed(a_api.url, d, people=PEOPLE, doctors=2)
                run.workers("relay-1", "relay-2")
                async with (
                    httpx.AsyncClient(base_url=a_api.url, timeout=30) as a,
                    httpx.AsyncClient(base_url=b_api.url, timeout=30) as b,
                ):
                    await _cached_reads_follow_writes_on_the_other_api(world, a, b)
                    winners = await _competing_bookings_never_double_book(world, a, b)
                    engine = create_async_engine(d.settings.database.url)
                    try:
                        async with engine.connect() as sql:
                            assert (await sql.execute(OVERLAPS)).scalar_one() == 0
                            booked = "SELECT count(*) FROM appointments WHERE status = 'BOOKED'"
                            # the race's winners, and the booking of the cache part
                            assert (await sql.execute(text(booked))).scalar_one() == SLOTS + 1
                    finally:
                        await engine.dispose()

                # Every confirmation reaches the fake once, whichever dispatcher and relay took it.
                async def all_sent() -> bool:
                    rows = [r for r in await outbox_rows(d) if r["template"] == "appointment_confirmation"]
                    return len(rows) == SLOTS + 1 and all(r["status"] == "SENT" for r in rows)

                await eventually(all_sent, "every confirmation to be sent", within=30)
                rows = await outbox_rows(d)
            run.assert_clean_logs()  # both relays stopped: nothing more can arrive
            confirmations = [r for r in rows if r["template"] == "appointment_confirmation"]
            accepted = [m for m in graph.accepted if m.template == "appointment_confirmation"]
            assert Counter(m.callback_data for m in accepted) == Counter(str(r["id"]) for r in confirmations)
            assert len({r["idempotency_key"] for r in confirmations}) == SLOTS + 1
            by_recipient = Counter((m.to, tuple(m.body_parameters)) for m in accepted)
            assert max(by_recipient.values()) == 1 and len(by_recipient) == SLOTS + 1
            phones = [str(person.phone).lstrip("+") for person in PEOPLE]
            wanted = Counter([phones[0]] + [phones[patient] for patient in winners.values()])
            assert Counter(m.to for m in accepted) == wanted
            assert [r.outcome for r in graph.received] == ["accepted"] * len(graph.received)
            for relay in ("relay-1", "relay-2"):  # both relays took a share (httpx logs each request)
                assert "/messages" in run.log(relay), f"{relay} sent nothing"
            # Reminders for days ahead wait, one pair per appointment, never duplicated.
            reminders = Counter(r["status"] for r in rows if r["template"] == "appointment_reminder")
            assert reminders == Counter({"PENDING": 2 * (SLOTS + 1)})
    finally:
        graph.stop()
    assert time.monotonic() - began < 60


async def _cached_reads_follow_writes_on_the_other_api(
    world: World, a: httpx.AsyncClient, b: httpx.AsyncClient
) -> None:
    """B caches a doctor's availability and the clinic; A books and renames; B sees both."""
    doctor = world.doctors[1]
    span = {"from": utc_text(world.at(0)), "to": utc_text(world.at(0) + timedelta(days=1))}
    availability = f"/api/v1/clinics/{world.clinic}/doctors/{doctor}/availability"
    evening = utc_text(world.at(19))

    async def free_on_b() -> set[str]:
        response = await b.get(availability, params=span, headers=world.admin)
        assert response.status_code == 200, response.text
        return {slot["startsAt"] for slot in response.json()["slots"]}

    async def name_on_b() -> str:
        response = await b.get(f"/api/v1/clinics/{world.clinic}", headers=world.admin)
        assert response.status_code == 200, response.text
        return str(response.json()["name"])

    hits = await _l1_hits(b)
    for _ in range(2):  # the second round is served from B's L1
        assert evening in await free_on_b()
        assert await name_on_b() == world.clinic_name
    assert await _l1_hits(b) >= hits + 2

    booked = await a.post(
        "/api/v1/appointments", json=world.booking(world.at(19), doctor=1, patient=0), headers=world.desk
    )
    assert booked.status_code == 201, booked.text
    await _soon(lambda: _without(evening, free_on_b()), "B to stop offering the booked slot")

    renamed = await a.patch(f"/api/v1/clinics/{world.clinic}", json={"name": "Renamed"}, headers=world.admin)
    assert renamed.status_code == 200, renamed.text
    await _soon(lambda: _equals("Renamed", name_on_b()), "B to read the clinic's new name")
    world.clinic_name = "Renamed"


async def _competing_bookings_never_double_book(
    world: World, a: httpx.AsyncClient, b: httpx.AsyncClient
) -> dict[int, int]:
    """SLOTS x COMPETITORS bookings at once, each through A or B; the winner of each slot."""
    attempts = [(slot, patient) for slot in range(SLOTS) for patient in range(COMPETITORS)]
    random.Random(8).shuffle(attempts)

    async def book(n: int, slot: int, patient: int) -> tuple[int, int, httpx.Response]:
        client = (a, b)[n % 2]
        starts = world.at(8) + timedelta(minutes=30 * slot)
        body = world.booking(starts, patient=patient)
        return slot, patient, await client.post("/api/v1/appointments", json=body, headers=world.desk)

    answers = await asyncio.gather(*(book(n, slot, patient) for n, (slot, patient) in enumerate(attempts)))
    winners: dict[int, int] = {}
    for slot, patient, response in answers:
        if response.status_code == 201:
            assert slot not in winners, f"slot {slot} booked twice"
            winners[slot] = patient
        else:
            assert response.status_code == 409, response.text
            code = response.json()["error"]["code"]
            assert code in {"APPOINTMENT_CONFLICT", "APPOINTMENT_SLOT_UNAVAILABLE"}, response.text
    assert sorted(winners) == list(range(SLOTS))
    return winners


async def _soon(check: Any, what: str) -> None:
    """``check()`` turns true within FRESH_WITHIN seconds: an invalidation, not an expiry."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not await check():
        assert loop.time() - start < FRESH_WITHIN, f"still stale after {FRESH_WITHIN}s: {what}"
        await asyncio.sleep(0.02)


async def _without(item: str, found: Any) -> bool:
    return item not in await found


async def _equals(wanted: str, found: Any) -> bool:
    return bool(await found == wanted)


async def _l1_hits(client: httpx.AsyncClient) -> float:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    match = re.search(r'^cache_lookups_total\{result="l1_hit"\} (\S+)$', response.text, re.M)
    assert match is not None, response.text[:2000]
    return float(match.group(1))
