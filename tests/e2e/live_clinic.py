"""A clinic seeded through the API of a live deployment (tests/e2e/live_deployment.py): a location,
doctors with a weekly schedule, a receptionist, a clinic admin and patients, with tokens issued
through a container of the test's own."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from live_deployment import Deployment

from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand
from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from entrypoints.bootstrap import as_system
from entrypoints.config import Settings
from entrypoints.ioc.profiles import build_container

ZONE = ZoneInfo("Europe/Berlin")
OPERATOR = "ops@clinic.example"


@dataclass(frozen=True)
class Person:
    name: str
    phone: str | None
    email: str | None
    whatsapp: bool  # grants the whatsapp_notifications consent


@dataclass
class World:
    """A clinic in Berlin with one location, ``doctors`` working every day 08:00-20:00 in 30-minute
    slots, a receptionist (``desk``), a clinic admin, and ``patients`` (ids, as ``people``)."""

    clinic: str
    clinic_name: str
    location: str
    doctors: list[str]
    patients: list[str]
    root: dict[str, str]
    admin: dict[str, str]
    desk: dict[str, str]
    day: date  # three days ahead: every reminder of that day is still to come

    def at(self, hh: int, mm: int = 0, *, day: date | None = None) -> datetime:
        return datetime.combine(day or self.day, clock_time(hh, mm), tzinfo=ZONE)

    def booking(self, starts: datetime, *, patient: int = 0, doctor: int = 0, **extra: Any) -> dict[str, Any]:
        return {
            "clinicId": self.clinic,
            "locationId": self.location,
            "doctorId": self.doctors[doctor],
            "patientId": self.patients[patient],
            "startsAt": utc_text(starts),
            **extra,
        }


def utc_text(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


async def tokens(settings: Settings, *emails: str, operator: bool = False) -> list[dict[str, str]]:
    """Bearer headers for existing users (and the super admin ``OPERATOR``, made first when
    ``operator``), issued through a container of the test's own."""
    container = build_container(settings)
    try:
        async with container() as request:
            await as_system(request)
            if operator:
                await (await request.get(CreateSuperAdmin))(
                    CreateSuperAdminCommand(email=OPERATOR, name="Ops")
                )
            issue = await request.get(IssueOperatorToken)
            found = []
            for email in emails:
                issued = await issue(IssueOperatorTokenCommand(email=email))
                found.append({"Authorization": f"Bearer {issued.token}"})
            return found
    finally:
        await container.close()


async def seed(url: str, d: Deployment, *, people: list[Person], doctors: int = 1) -> World:
    """Everything through the API at ``url``."""
    (root,) = await tokens(d.settings, OPERATOR, operator=True)
    tag = f"{time.time_ns()}"
    name = f"Spree Clinic {tag[-6:]}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def ok(response: httpx.Response, status: int = 201) -> Any:
            assert response.status_code == status, response.text
            return response.json()

        clinic = (
            await ok(
                await client.post("/api/v1/clinics", json={"name": name, "timeZone": ZONE.key}, headers=root)
            )
        )["id"]
        base = f"/api/v1/clinics/{clinic}"
        location = (
            await ok(
                await client.post(
                    f"{base}/locations", json={"name": "Main", "address": "1 Spree"}, headers=root
                )
            )
        )["id"]

        async def member(email: str, role: str) -> str:
            user = await ok(
                await client.post("/api/v1/users", json={"name": role.title(), "email": email}, headers=root)
            )
            await ok(
                await client.post(f"{base}/members", json={"userId": user["id"], "role": role}, headers=root)
            )
            return str(user["id"])

        admin_email, desk_email = f"admin.{tag}@clinic.example", f"desk.{tag}@clinic.example"
        await member(admin_email, "CLINIC_ADMIN")
        await member(desk_email, "RECEPTIONIST")
        admin, desk = await tokens(d.settings, admin_email, desk_email)
        doctor_ids = []
        for n in range(doctors):
            doctor = await member(f"doctor{n}.{tag}@clinic.example", "DOCTOR")
            profile = {
                "userId": doctor,
                "specialty": "General practice",
                "licenceNumber": f"L-{n}",
                "slotMinutes": 30,
            }
            await ok(await client.post(f"{base}/doctors", json=profile, headers=admin))
            week = {
                "hours": [
                    {"locationId": location, "weekday": w, "start": "08:00", "end": "20:00"} for w in range(7)
                ],
                "breaks": [],
            }
            await ok(await client.put(f"{base}/doctors/{doctor}/schedule", json=week, headers=admin), 200)
            doctor_ids.append(doctor)
        patients = []
        for person in people:
            record = {"name": person.name, "dateOfBirth": "1980-05-17"}
            record |= {k: v for k, v in (("phone", person.phone), ("email", person.email)) if v}
            patient = (await ok(await client.post(f"{base}/patients", json=record, headers=desk)))["id"]
            if person.whatsapp:
                consent = {"scope": "whatsapp_notifications"}
                await ok(await client.post(f"{base}/patients/{patient}/consents", json=consent, headers=desk))
            patients.append(patient)
    day = datetime.now(ZONE).date() + timedelta(days=3)
    return World(clinic, name, location, doctor_ids, patients, root, admin, desk, day)
