"""The patient export over HTTP (embedded profile): who may export, what the document holds, its
headers, and that it arrives in pieces."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from dishka import AsyncContainer
from http_api import Api, assert_error, open_api, production_database
from litestar.types import Message

from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand
from application.demo.seed_demo_data import DEMO_ADMIN_EMAIL
from application.ports.appointments import AppointmentRepository
from application.ports.clock import Clock, IdGenerator
from application.ports.uow import UnitOfWork
from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from domain.appointments import Appointment, AppointmentStatus
from entrypoints.bootstrap import as_system
from entrypoints.ioc.profiles import build_container

CLINICS = "/api/v1/clinics"
ZONE = ZoneInfo("Europe/Madrid")
SECTIONS = {
    "format",
    "exportedAt",
    "patient",
    "appointments",
    "prescriptions",
    "consents",
    "emergencyGrants",
    "audit",
}


class Place:
    """A clinic in Madrid with one location, a clinic admin, a doctor working weekdays 09:00-17:00,
    a receptionist, and patients registered through the API."""

    def __init__(
        self, api: Api, tag: str, *, container: AsyncContainer | None = None, root: str = DEMO_ADMIN_EMAIL
    ) -> None:
        self.api = api
        self.tag = tag
        # Direct access (tokens, seeding) goes through a container of the test's event loop.
        self.container = container or api.container
        self.root_email = root

    async def auth(self, email: str) -> dict[str, str]:
        async with self.container() as request:
            await as_system(request)
            issued = await (await request.get(IssueOperatorToken))(IssueOperatorTokenCommand(email=email))
        return {"Authorization": f"Bearer {issued.token}"}

    async def ok(self, response: Any, status: int = 201) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    async def setup(self) -> Place:
        client = self.api.client
        self.root = root = await self.auth(self.root_email)
        clinic = await client.post(
            CLINICS, json={"name": self.tag, "timeZone": "Europe/Madrid"}, headers=root
        )
        self.clinic = (await self.ok(clinic))["id"]
        location = await client.post(
            f"{CLINICS}/{self.clinic}/locations", json={"name": "Main", "address": "1 Gran Vía"}, headers=root
        )
        self.location = (await self.ok(location))["id"]
        self.admin_id = await self.member(f"admin@{self.tag}.example", "CLINIC_ADMIN")
        self.doctor = await self.member(f"doc@{self.tag}.example", "DOCTOR")
        await self.member(f"desk@{self.tag}.example", "RECEPTIONIST")
        self.as_admin = await self.auth(f"admin@{self.tag}.example")
        self.as_doctor = await self.auth(f"doc@{self.tag}.example")
        self.as_desk = await self.auth(f"desk@{self.tag}.example")
        return self

    async def member(self, email: str, role: str) -> str:
        client = self.api.client
        user = await self.ok(
            await client.post("/api/v1/users", json={"name": role.title(), "email": email}, headers=self.root)
        )
        joined = await client.post(
            f"{CLINICS}/{self.clinic}/members", json={"userId": user["id"], "role": role}, headers=self.root
        )
        await self.ok(joined)
        return str(user["id"])

    async def schedule_doctor(self) -> None:
        profile = {
            "userId": self.doctor,
            "specialty": "General practice",
            "licenceNumber": "L-1",
            "slotMinutes": 30,
        }
        await self.ok(
            await self.api.client.post(
                f"{CLINICS}/{self.clinic}/doctors", json=profile, headers=self.as_admin
            )
        )
        week = {
            "hours": [
                {"locationId": self.location, "weekday": d, "start": "09:00", "end": "17:00"}
                for d in range(5)
            ]
        }
        url = f"{CLINICS}/{self.clinic}/doctors/{self.doctor}/schedule"
        await self.ok(await self.api.client.put(url, json=week, headers=self.as_admin), 200)

    async def register(self, name: str, email: str) -> tuple[str, dict[str, str]]:
        """A patient's record (and user and membership), and the patient's own headers."""
        record = {"name": name, "dateOfBirth": "1980-04-02", "email": email, "allergies": ["latex"]}
        created = await self.api.client.post(
            f"{CLINICS}/{self.clinic}/patients", json=record, headers=self.as_desk
        )
        return (await self.ok(created))["id"], await self.auth(email)

    def export_url(self, patient_id: str) -> str:
        return f"{CLINICS}/{self.clinic}/patients/{patient_id}/export"

    async def seed_appointments(self, patient_id: str, count: int) -> None:
        """``count`` appointments through the repository port, one unit of work, 30 minutes apart."""
        async with self.container() as request:
            await as_system(request)
            now = (await request.get(Clock)).now()
            ids = await request.get(IdGenerator)
            repository = await request.get(AppointmentRepository)
            start = now.replace(microsecond=0) + timedelta(days=3)
            who = UUID(patient_id)
            for n in range(count):
                starts_at = start + timedelta(minutes=30 * n)
                appointment = Appointment(
                    id=ids.new_id(),
                    clinic_id=UUID(self.clinic),
                    location_id=UUID(self.location),
                    doctor_id=UUID(self.doctor),
                    patient_id=who,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=30),
                    status=AppointmentStatus.BOOKED,
                    reason=f"Check-up {n}",
                    created_at=now,
                    created_by=who,
                    updated_at=now,
                    updated_by=who,
                )
                await repository.add(appointment, now=now)
            await (await request.get(UnitOfWork)).commit()


def next_monday_at(hour: int) -> str:
    today = datetime.now(ZONE).date()
    monday = today + timedelta(days=7 - today.weekday() + 7)
    moment = datetime.combine(monday, time(hour), tzinfo=ZONE)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def test_the_patient_exports_everything_the_clinic_holds_about_them(api: Api) -> None:
    p = await Place(api, "export").setup()
    await p.schedule_doctor()
    ana, as_ana = await p.register("Ana García", "ana@export.example")
    bo, as_bo = await p.register("Bo Li", "bo@export.example")
    consents = f"{CLINICS}/{p.clinic}/patients/{ana}/consents"
    consent = await p.ok(await api.client.post(consents, json={"scope": "treatment"}, headers=as_ana))
    booking = {
        "clinicId": p.clinic,
        "locationId": p.location,
        "doctorId": p.doctor,
        "patientId": ana,
        "startsAt": next_monday_at(10),
        "reason": "Persistent cough",
    }
    booked = await p.ok(await api.client.post("/api/v1/appointments", json=booking, headers=as_ana))
    prescription = {
        "clinicId": p.clinic,
        "patientId": ana,
        "appointmentId": booked["id"],
        "medications": [
            {"name": "Amoxicillin", "dosage": "500 mg", "frequency": "3x daily", "durationDays": 7}
        ],
    }
    issued = await p.ok(
        await api.client.post("/api/v1/prescriptions", json=prescription, headers=p.as_doctor)
    )
    bo_booking = {**booking, "patientId": bo, "startsAt": next_monday_at(11), "reason": "Bo's own words"}
    await p.ok(await api.client.post("/api/v1/appointments", json=bo_booking, headers=as_bo))

    response = await api.client.get(p.export_url(ana), headers=as_ana)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == f'attachment; filename="patient-{ana}.json"'
    assert response.headers["cache-control"] == "no-store"
    document = json.loads(response.content)
    assert set(document) == SECTIONS
    assert document["format"] == "clinic-backend.patient-export.v1"
    assert document["exportedAt"].endswith("Z")
    record = await p.ok(await api.client.get(f"{CLINICS}/{p.clinic}/patients/{ana}", headers=as_ana), 200)
    assert document["patient"] == record  # the same shape as the record's own route
    [appointment] = document["appointments"]
    assert (appointment["id"], appointment["reason"], appointment["status"]) == (
        booked["id"],
        "Persistent cough",
        booked["status"],
    )
    assert appointment["timeZone"] == "Europe/Madrid" and "localStartsAt" in appointment
    [version] = document["prescriptions"]
    assert (version["id"], version["version"], version["medications"][0]["dosage"]) == (
        issued["id"],
        1,
        "500 mg",
    )
    assert [c["id"] for c in document["consents"]] == [consent["id"]]
    assert document["emergencyGrants"] == []
    about = {(e["resourceType"], e["resourceId"]) for e in document["audit"]}
    assert {("patient", ana), ("appointment", booked["id"]), ("prescription", issued["id"])} <= about
    assert ("consent", consent["id"]) in about
    assert document["audit"][-1]["action"] == "EXPORT_PATIENT_DATA"
    assert all(e["resourceId"] not in (bo,) for e in document["audit"])
    assert "Bo's own words" not in response.text and "Bo Li" not in response.text


async def test_a_clinic_admin_exports_and_other_people_are_refused(api: Api) -> None:
    p = await Place(api, "access").setup()
    ana, as_ana = await p.register("Ana García", "ana@access.example")
    _, as_bo = await p.register("Bo Li", "bo@access.example")
    url = p.export_url(ana)

    exported = await api.client.get(url, headers=p.as_admin)
    assert exported.status_code == 200, exported.text
    assert json.loads(exported.content)["patient"]["id"] == ana

    assert_error(await api.client.get(url, headers=p.as_desk), 403, "INSUFFICIENT_PERMISSIONS")
    assert_error(await api.client.get(url, headers=p.as_doctor), 403, "INSUFFICIENT_PERMISSIONS")
    assert_error(await api.client.get(url, headers=as_bo), 404, "PATIENT_NOT_FOUND")
    elsewhere = await Place(api, "elsewhere").setup()
    assert_error(await api.client.get(url, headers=elsewhere.as_admin), 404, "PATIENT_NOT_FOUND")
    assert_error(
        await api.client.get(p.export_url(str(UUID(int=7))), headers=p.as_admin), 404, "PATIENT_NOT_FOUND"
    )
    assert_error(await api.client.get(url), 401, "INVALID_CREDENTIALS")
    assert_error(
        await api.client.get(f"{CLINICS}/{p.clinic}/patients/nope/export", headers=as_ana),
        400,
        "INVALID_UUID",
    )

    deleted = await api.client.delete(f"{CLINICS}/{p.clinic}/patients/{ana}", headers=p.as_admin)
    assert deleted.status_code in (200, 204), deleted.text
    assert_error(await api.client.get(url, headers=p.as_admin), 404, "PATIENT_NOT_FOUND")


async def get_raw(api: Api, path: str, headers: dict[str, str]) -> list[Message]:
    """The ASGI messages the app sends for a GET, as sent: the test client would join the body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[Message] = []
    requested, done = False, asyncio.Event()

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays connected until the whole body is sent
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    await api.client.app(scope, receive, send)  # type: ignore[arg-type]
    return sent


async def test_a_large_record_arrives_in_pieces(api: Api) -> None:
    p = await Place(api, "large").setup()
    ana, as_ana = await p.register("Ana García", "ana@large.example")
    await p.seed_appointments(ana, 1000)
    sent = await get_raw(api, p.export_url(ana), as_ana)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    pieces = [m["body"] for m in sent[1:] if m["type"] == "http.response.body" and m.get("body")]
    assert len(pieces) >= 5  # 1,000 appointments in pages of 200, besides the other sections
    total = sum(len(piece) for piece in pieces)
    assert max(len(piece) for piece in pieces) < total / 4  # no piece holds much of the document
    document = json.loads(b"".join(pieces))
    assert set(document) == SECTIONS
    appointments = document["appointments"]
    assert len(appointments) == 1000 and len({a["id"] for a in appointments}) == 1000
    assert [a["startsAt"] for a in appointments] == sorted(a["startsAt"] for a in appointments)
    assert len(document["audit"]) >= 1 and document["audit"][-1]["action"] == "EXPORT_PATIENT_DATA"


@pytest.mark.postgres
async def test_the_export_reads_its_sections_under_row_level_security_on_postgresql(tmp_path: Path) -> None:
    """The production profile: the audit entry commits, then the sections are read in a new
    transaction that must still see the clinic's rows through row-level security."""
    async with production_database(tmp_path) as settings:
        setup = build_container(settings)  # pooled connections belong to the loop that opened them
        try:
            async with setup() as request:
                await as_system(request)
                await (await request.get(CreateSuperAdmin))(
                    CreateSuperAdminCommand(email="ops@rls.example", name="Ops")
                )
            async for api in open_api(settings):
                p = await Place(api, "rls", container=setup, root="ops@rls.example").setup()
                ana, as_ana = await p.register("Ana García", "ana@rls.example")
                await p.seed_appointments(ana, 250)
                response = await api.client.get(p.export_url(ana), headers=as_ana)
                assert response.status_code == 200, response.text
                document = json.loads(response.content)
                assert len(document["appointments"]) == 250
                assert document["patient"]["name"] == "Ana García"
                assert document["audit"][-1]["action"] == "EXPORT_PATIENT_DATA"
        finally:
            await setup.close()
