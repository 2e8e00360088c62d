"""Booking over HTTP: book, hold and confirm, availability, idempotency keys, and the envelopes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dishka import AsyncContainer, Provider, Scope, provide
from http_api import Api, assert_error, embedded_settings, open_api, production_database

from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand
from application.ports.clock import Clock
from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from entrypoints.bootstrap import as_system
from entrypoints.ioc.profiles import build_container

ZONE = ZoneInfo("Europe/Berlin")


@dataclass
class Seeded:
    """A clinic in Berlin with one location, two doctors (Mon-Fri 09:00-17:00, lunch 12-13,
    30-minute slots), a receptionist and ``patients``; ``headers`` by email."""

    clinic: str
    location: str
    doctors: list[str]
    patients: list[str]
    desk: dict[str, str]
    admin: dict[str, str]
    monday: date
    emails: list[str]  # of the patients

    def at(self, hh: int, mm: int = 0, days: int = 0) -> str:
        moment = datetime.combine(self.monday + timedelta(days=days), time(hh, mm), tzinfo=ZONE)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def body(
        self, hh: int, mm: int = 0, *, patient: int = 0, doctor: int = 0, **extra: Any
    ) -> dict[str, Any]:
        return {
            "clinicId": self.clinic,
            "locationId": self.location,
            "doctorId": self.doctors[doctor],
            "patientId": self.patients[patient],
            "startsAt": self.at(hh, mm),
            **extra,
        }


async def token(container: AsyncContainer, email: str) -> dict[str, str]:
    async with container() as request:
        await as_system(request)
        issued = await (await request.get(IssueOperatorToken))(IssueOperatorTokenCommand(email=email))
    return {"Authorization": f"Bearer {issued.token}"}


def next_monday() -> date:
    today = datetime.now(ZONE).date()
    return today + timedelta(days=7 - today.weekday() + 7)  # a week ahead: never "in the past"


async def seed(api: Api, container: AsyncContainer, root: dict[str, str], *, patients: int = 2) -> Seeded:
    """Everything through the API as a super admin (``root``), tokens from ``container``."""
    client, tag = api.client, f"{datetime.now(UTC).timestamp():.0f}"

    async def ok(response: Any, status: int = 201) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    clinic = (
        await ok(
            await client.post(
                "/api/v1/clinics", json={"name": "Booked", "timeZone": "Europe/Berlin"}, headers=root
            )
        )
    )["id"]
    location = (
        await ok(
            await client.post(
                f"/api/v1/clinics/{clinic}/locations",
                json={"name": "Main", "address": "1 Spree"},
                headers=root,
            )
        )
    )["id"]

    async def member(email: str, role: str) -> str:
        user = await ok(
            await client.post("/api/v1/users", json={"name": role.title(), "email": email}, headers=root)
        )
        await ok(
            await client.post(
                f"/api/v1/clinics/{clinic}/members", json={"userId": user["id"], "role": role}, headers=root
            )
        )
        return str(user["id"])

    admin_email, desk_email = f"admin.{tag}@clinic.example", f"desk.{tag}@clinic.example"
    await member(admin_email, "CLINIC_ADMIN")
    await member(desk_email, "RECEPTIONIST")
    admin = await token(container, admin_email)
    doctors = []
    for n in range(2):
        doctor = await member(f"doctor{n}.{tag}@clinic.example", "DOCTOR")
        profile = {
            "userId": doctor,
            "specialty": "General practice",
            "licenceNumber": f"L-{n}",
            "slotMinutes": 30,
        }
        await ok(await client.post(f"/api/v1/clinics/{clinic}/doctors", json=profile, headers=admin))
        week = {
            "hours": [
                {"locationId": location, "weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)
            ],
            "breaks": [{"weekday": d, "start": "12:00", "end": "13:00"} for d in range(5)],
        }
        await ok(
            await client.put(f"/api/v1/clinics/{clinic}/doctors/{doctor}/schedule", json=week, headers=admin),
            200,
        )
        doctors.append(doctor)
    emails = [f"patient{n}.{tag}@clinic.example" for n in range(patients)]
    people = [await member(email, "PATIENT") for email in emails]
    desk = await token(container, desk_email)
    return Seeded(clinic, location, doctors, people, desk, admin, next_monday(), emails)


async def _seeded(api: Api, patients: int = 2) -> Seeded:
    return await seed(api, api.container, await api.super_admin(), patients=patients)


async def test_booking_answers_201_with_the_appointment_location_and_etag(api: Api) -> None:
    s = await _seeded(api)
    created = await api.client.post("/api/v1/appointments", json=s.body(9, reason="Headache"), headers=s.desk)
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1/appointments/{body['id']}"
    assert created.headers["etag"] == '"1"' or body["version"] == 1
    assert body["startsAt"] == s.at(9) and body["endsAt"] == s.at(9, 30)
    assert body["localStartsAt"] == f"{s.monday.isoformat()}T09:00:00" and body["timeZone"] == "Europe/Berlin"
    assert (body["status"], body["reason"], body["holdExpiresAt"], body["cancellation"]) == (
        "BOOKED",
        "Headache",
        None,
        None,
    )
    assert set(body) == {
        "id", "clinicId", "locationId", "doctorId", "patientId", "startsAt", "endsAt", "localStartsAt",
        "localEndsAt", "timeZone", "status", "reason", "holdExpiresAt", "cancellation", "version",
        "createdAt", "updatedAt",
    }  # fmt: skip


async def test_refusals_come_in_the_envelope_with_their_codes(api: Api) -> None:
    s = await _seeded(api)
    post = api.client.post
    assert (await post("/api/v1/appointments", json=s.body(9), headers=s.desk)).status_code == 201
    assert_error(
        await post("/api/v1/appointments", json=s.body(9, 15, patient=1), headers=s.desk),
        409,
        "APPOINTMENT_CONFLICT",
    )
    assert_error(
        await post("/api/v1/appointments", json=s.body(9, doctor=1), headers=s.desk),
        409,
        "APPOINTMENT_CONFLICT",
    )
    assert_error(
        await post("/api/v1/appointments", json=s.body(12, 15, patient=1), headers=s.desk),
        409,
        "APPOINTMENT_SLOT_UNAVAILABLE",
    )
    assert_error(
        await post("/api/v1/appointments", json=s.body(18, patient=1), headers=s.desk),
        409,
        "APPOINTMENT_SLOT_UNAVAILABLE",
    )
    assert_error(
        await post(
            "/api/v1/appointments",
            json={**s.body(10, patient=1), "startsAt": "2020-01-06T09:00:00Z"},
            headers=s.desk,
        ),
        409,
        "APPOINTMENT_SLOT_UNAVAILABLE",
    )
    unknown = await post("/api/v1/appointments", json=s.body(10, patient=1, colour="red"), headers=s.desk)
    assert unknown.status_code == 400
    error = assert_error(
        await post("/api/v1/appointments", json=s.body(10, patient=1, durationMinutes=2), headers=s.desk),
        400,
        "VALIDATION_ERROR",
    )
    assert "durationMinutes" in error["details"]
    assert_error(
        await post(
            "/api/v1/appointments", json=s.body(10, patient=1, doctorId=s.patients[0]), headers=s.desk
        ),
        404,
        "DOCTOR_NOT_FOUND",
    )
    # A patient books only for themselves; another patient's id is not found.
    own = await token(api.container, s.emails[1])
    assert (await post("/api/v1/appointments", json=s.body(14, patient=1), headers=own)).status_code == 201
    assert_error(await post("/api/v1/appointments", json=s.body(15), headers=own), 404, "PATIENT_NOT_FOUND")


async def test_a_hold_is_confirmed_once_and_an_expired_hold_is_409(api: Api) -> None:
    s = await _seeded(api)
    held = await api.client.post("/api/v1/appointments", json=s.body(10, hold=True), headers=s.desk)
    assert held.status_code == 201 and held.json()["status"] == "HELD"
    expires = datetime.fromisoformat(held.json()["holdExpiresAt"])
    created = datetime.fromisoformat(held.json()["createdAt"])
    assert expires - created == timedelta(minutes=10)
    assert_error(
        await api.client.post("/api/v1/appointments", json=s.body(10, patient=1), headers=s.desk),
        409,
        "APPOINTMENT_CONFLICT",
    )
    url = f"/api/v1/appointments/{held.json()['id']}/confirm"
    assert_error(await api.client.post(url, headers={**s.desk, "If-Match": '"7"'}), 409, "VERSION_CONFLICT")
    confirmed = await api.client.post(url, headers=s.desk)
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["holdExpiresAt"], confirmed.json()["version"]) == (
        "BOOKED",
        None,
        2,
    )
    assert_error(await api.client.post(url, headers=s.desk), 409, "APPOINTMENT_TRANSITION_NOT_ALLOWED")


class Shifted(Clock):
    """The real time, moved forward by ``shift`` when the test says so."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift


class ShiftedClock(Provider):
    def __init__(self, clock: Shifted) -> None:
        super().__init__()
        self._clock = clock

    @provide(scope=Scope.APP)
    def clock(self) -> Clock:
        return self._clock


async def test_confirming_after_the_hold_lapsed_is_hold_expired(tmp_path: Path) -> None:
    clock = Shifted()
    async for api in open_api(
        embedded_settings(tmp_path, APP_APPOINTMENT_HOLD_MINUTES="1"), ShiftedClock(clock)
    ):
        s = await _seeded(api)
        held = await api.client.post("/api/v1/appointments", json=s.body(10, hold=True), headers=s.desk)
        assert held.status_code == 201
        expires = datetime.fromisoformat(held.json()["holdExpiresAt"])
        assert expires - datetime.fromisoformat(held.json()["createdAt"]) == timedelta(minutes=1)
        clock.shift = timedelta(minutes=1, seconds=1)
        url = f"/api/v1/appointments/{held.json()['id']}/confirm"
        assert_error(await api.client.post(url, headers=s.desk), 409, "APPOINTMENT_HOLD_EXPIRED")
        retaken = await api.client.post("/api/v1/appointments", json=s.body(10, patient=1), headers=s.desk)
        assert retaken.status_code == 201, retaken.text
        assert_error(await api.client.post(url, headers=s.desk), 409, "APPOINTMENT_HOLD_EXPIRED")


async def test_the_same_idempotency_key_answers_the_first_booking(api: Api) -> None:
    s = await _seeded(api)
    headers = {**s.desk, "Idempotency-Key": "book-0001"}
    first = await api.client.post("/api/v1/appointments", json=s.body(11), headers=headers)
    again = await api.client.post("/api/v1/appointments", json=s.body(11), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert_error(
        await api.client.post("/api/v1/appointments", json=s.body(11, 30), headers=headers),
        409,
        "IDEMPOTENCY_KEY_REUSED",
    )
    listed = await api.client.get(
        f"/api/v1/clinics/{s.clinic}/doctors/{s.doctors[0]}/availability",
        params={"from": s.at(11), "to": s.at(12)},
        headers=s.desk,
    )
    assert [slot["startsAt"] for slot in listed.json()["slots"]] == [s.at(11, 30)]


async def test_availability_lists_free_slots_in_utc_with_local_time_and_follows_bookings(api: Api) -> None:
    s = await _seeded(api)
    url = f"/api/v1/clinics/{s.clinic}/doctors/{s.doctors[0]}/availability"
    day = {"from": s.at(0), "to": s.at(0, days=1)}
    first = await api.client.get(url, params=day, headers=s.desk)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["clinicId"], body["doctorId"], body["timeZone"]) == (s.clinic, s.doctors[0], "Europe/Berlin")
    assert len(body["slots"]) == 14
    assert body["slots"][0] == {
        "startsAt": s.at(9),
        "endsAt": s.at(9, 30),
        "localStartsAt": f"{s.monday.isoformat()}T09:00:00",
        "locationId": s.location,
    }
    assert (await api.client.get(url, params=day, headers=s.desk)).json() == body  # from the cache
    booked = await api.client.post("/api/v1/appointments", json=s.body(9, 30), headers=s.desk)
    assert booked.status_code == 201
    after = (await api.client.get(url, params=day, headers=s.desk)).json()["slots"]
    assert s.at(9, 30) not in [slot["startsAt"] for slot in after] and len(after) == 13
    # Cancelling (the lifecycle's route) frees it again at once.
    cancelled = await api.client.post(
        f"/api/v1/appointments/{booked.json()['id']}/cancel", json={}, headers=s.desk
    )
    assert cancelled.status_code == 200, cancelled.text
    assert len((await api.client.get(url, params=day, headers=s.desk)).json()["slots"]) == 14
    week = {"from": s.at(0), "to": s.at(0, days=32)}
    assert (
        "to"
        in assert_error(await api.client.get(url, params=week, headers=s.desk), 400, "VALIDATION_ERROR")[
            "details"
        ]
    )
    assert (
        "from"
        in assert_error(
            await api.client.get(url, params={"to": s.at(0)}, headers=s.desk), 400, "VALIDATION_ERROR"
        )["details"]
    )
    assert_error(
        await api.client.get(url, params={**day, "locationId": s.doctors[1]}, headers=s.desk),
        404,
        "LOCATION_NOT_FOUND",
    )
    assert_error(
        await api.client.get(
            f"/api/v1/clinics/{s.clinic}/doctors/{s.patients[0]}/availability", params=day, headers=s.desk
        ),
        404,
        "DOCTOR_NOT_FOUND",
    )


async def test_another_clinic_sees_nothing(api: Api) -> None:
    s = await _seeded(api)
    root = await api.super_admin()
    other = (
        await api.client.post("/api/v1/clinics", json={"name": "Elsewhere", "timeZone": "UTC"}, headers=root)
    ).json()
    user = (
        await api.client.post(
            "/api/v1/users", json={"name": "Out", "email": "out@elsewhere.example"}, headers=root
        )
    ).json()
    await api.client.post(
        f"/api/v1/clinics/{other['id']}/members",
        json={"userId": user["id"], "role": "RECEPTIONIST"},
        headers=root,
    )
    outsider = await token(api.container, "out@elsewhere.example")
    assert_error(
        await api.client.post("/api/v1/appointments", json=s.body(9), headers=outsider),
        404,
        "PATIENT_NOT_FOUND",
    )
    url = f"/api/v1/clinics/{s.clinic}/doctors/{s.doctors[0]}/availability"
    assert_error(
        await api.client.get(url, params={"from": s.at(0), "to": s.at(0, days=1)}, headers=outsider),
        404,
        "DOCTOR_NOT_FOUND",
    )
    held = await api.client.post("/api/v1/appointments", json=s.body(9, hold=True), headers=s.desk)
    assert_error(
        await api.client.post(f"/api/v1/appointments/{held.json()['id']}/confirm", headers=outsider),
        404,
        "APPOINTMENT_NOT_FOUND",
    )


@pytest.mark.postgres
async def test_availability_is_fresh_on_another_instance_right_after_a_booking(tmp_path: Path) -> None:
    """Two app instances on one PostgreSQL and one Redis (the production profile): instance two
    has the day cached; a booking on instance one drops it everywhere at commit."""
    async with production_database(tmp_path) as settings:
        setup = build_container(settings)
        try:
            async with setup() as request:
                await as_system(request)
                await (await request.get(CreateSuperAdmin))(
                    CreateSuperAdminCommand(email="ops@example.com", name="Ops")
                )
            async for one in open_api(settings):
                async for two in open_api(settings):
                    s = await seed(one, setup, await token(setup, "ops@example.com"))
                    url = f"/api/v1/clinics/{s.clinic}/doctors/{s.doctors[0]}/availability"
                    day = {"from": s.at(0), "to": s.at(0, days=1)}

                    async def starts(api: Api) -> list[str]:
                        response = await api.client.get(url, params=day, headers=s.desk)
                        assert response.status_code == 200, response.text
                        return [slot["startsAt"] for slot in response.json()["slots"]]

                    assert s.at(10) in await starts(two) and s.at(10) in await starts(two)
                    booked = await one.client.post("/api/v1/appointments", json=s.body(10), headers=s.desk)
                    assert booked.status_code == 201, booked.text
                    assert s.at(10) not in await starts(two)
                    assert s.at(10) not in await starts(one)
        finally:
            await setup.close()
