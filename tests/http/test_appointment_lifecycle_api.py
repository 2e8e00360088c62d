"""The appointment lifecycle over HTTP (embedded profile): reads, lists, transitions, reschedule."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

from http_api import Api, assert_error

from application.ports.appointments import AppointmentRepository
from application.ports.clock import Clock, IdGenerator
from application.ports.doctors import DoctorRepository
from application.ports.uow import UnitOfWork
from domain.appointments import Appointment, AppointmentStatus
from domain.doctors import Doctor
from domain.scheduling import WeeklyWindow
from entrypoints.bootstrap import as_system

CLINICS = "/api/v1/clinics"
APPOINTMENTS = "/api/v1/appointments"


class Place:
    """A UTC clinic with one location, a doctor working there every day from 06:00 to 22:00,
    a receptionist, two patients and an outsider (a doctor of another clinic)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)

    async def setup(self, name: str = "Lifecycle") -> Place:
        root = await self.api.super_admin()
        created = await self.api.client.post(CLINICS, json={"name": name, "timeZone": "UTC"}, headers=root)
        assert created.status_code == 201, created.text
        self.clinic = created.json()["id"]
        place = await self.api.client.post(
            f"{CLINICS}/{self.clinic}/locations", json={"name": "Main", "address": "1 High St"}, headers=root
        )
        assert place.status_code == 201, place.text
        self.location = place.json()["id"]
        tag = name.lower()
        self.doctor = await self.member(f"doc@{tag}.example", "DOCTOR")
        self.desk_id = await self.member(f"desk@{tag}.example", "RECEPTIONIST")
        self.patient = await self.member(f"pat@{tag}.example", "PATIENT")
        self.other = await self.member(f"other@{tag}.example", "PATIENT")
        self.as_doctor = await self.api.auth(f"doc@{tag}.example")
        self.as_desk = await self.api.auth(f"desk@{tag}.example")
        self.as_patient = await self.api.auth(f"pat@{tag}.example")
        self.as_other = await self.api.auth(f"other@{tag}.example")
        await self.seed_doctor()
        return self

    async def member(self, email: str, role: str, clinic: str | None = None) -> str:
        user_id = await self.api.new_user(email)
        return await self.add_member(user_id, role, clinic or self.clinic)

    async def add_member(self, user_id: str, role: str, clinic: str) -> str:
        response = await self.api.client.post(
            f"{CLINICS}/{clinic}/members",
            json={"userId": user_id, "role": role},
            headers=await self.api.super_admin(),
        )
        assert response.status_code == 201, response.text
        return user_id

    async def seed_doctor(self) -> None:
        async with self.api.container() as request:
            await as_system(request)
            now = (await request.get(Clock)).now()
            hours = tuple(WeeklyWindow(d, time(6), time(22), UUID(self.location)) for d in range(7))
            doctor = Doctor(
                id=UUID(self.doctor),
                clinic_id=UUID(self.clinic),
                specialty="GP",
                licence_number="L-1",
                hours=hours,
                created_at=now,
                updated_at=now,
            )
            await (await request.get(DoctorRepository)).add(doctor)
            await (await request.get(UnitOfWork)).commit()

    def at(self, hour: int, minute: int = 0, day: int = 0) -> datetime:
        return self.day + timedelta(days=day, hours=hour, minutes=minute)

    async def book(self, *starts: datetime, patient: str | None = None, minutes: int = 30) -> list[str]:
        """Appointments seeded through the repository port, in one unit of work."""
        async with self.api.container() as request:
            await as_system(request)
            now = (await request.get(Clock)).now()
            ids = await request.get(IdGenerator)
            repository = await request.get(AppointmentRepository)
            made = []
            for start in starts:
                who = UUID(patient or self.patient)
                appointment = Appointment(
                    id=ids.new_id(),
                    clinic_id=UUID(self.clinic),
                    location_id=UUID(self.location),
                    doctor_id=UUID(self.doctor),
                    patient_id=who,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=minutes),
                    status=AppointmentStatus.BOOKED,
                    reason="Chest pain when climbing stairs",
                    created_at=now,
                    created_by=who,
                    updated_at=now,
                    updated_by=who,
                )
                await repository.add(appointment, now=now)
                made.append(str(appointment.id))
            await (await request.get(UnitOfWork)).commit()
        return made

    async def list(self, headers: dict[str, str], **params: Any) -> Any:
        return await self.api.client.get(
            APPOINTMENTS, params={"clinicId": self.clinic, **params}, headers=headers
        )


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def test_a_visit_from_booking_to_completion(api: Api) -> None:
    p = await Place(api).setup()
    [visit] = await p.book(p.at(10))
    url = f"{APPOINTMENTS}/{visit}"

    read = await api.client.get(url, headers=p.as_desk)
    assert read.status_code == 200, read.text
    body = read.json()
    assert read.headers["etag"] == '"1"'
    assert (body["status"], body["startsAt"], body["clinicId"]) == ("BOOKED", z(p.at(10)), p.clinic)
    assert body["reason"] is None  # the front desk sees the booking, not the patient's words
    own = (await api.client.get(url, headers=p.as_patient)).json()
    assert own["reason"] == "Chest pain when climbing stairs"

    assert_error(
        await api.client.post(f"{url}/check-in", headers=p.as_patient), 403, "INSUFFICIENT_PERMISSIONS"
    )
    assert_error(
        await api.client.post(f"{url}/complete", headers=p.as_doctor),
        409,
        "APPOINTMENT_TRANSITION_NOT_ALLOWED",
    )
    checked_in = await api.client.post(f"{url}/check-in", headers=p.as_desk)
    assert checked_in.status_code == 200, checked_in.text
    assert checked_in.json()["status"] == "CHECKED_IN" and checked_in.headers["etag"] == '"2"'
    assert_error(await api.client.post(f"{url}/complete", headers=p.as_desk), 403, "INSUFFICIENT_PERMISSIONS")
    done = await api.client.post(f"{url}/complete", headers={**p.as_doctor, "If-Match": '"2"'})
    assert done.status_code == 200 and done.json()["status"] == "COMPLETED"
    refused = assert_error(
        await api.client.post(f"{url}/cancel", json={"reason": "late"}, headers=p.as_patient),
        409,
        "APPOINTMENT_TRANSITION_NOT_ALLOWED",
    )
    assert refused["details"] == {"status": "COMPLETED", "transition": "cancel"}
    assert_error(
        await api.client.post(f"{url}/no-show", headers=p.as_desk), 409, "APPOINTMENT_TRANSITION_NOT_ALLOWED"
    )


async def test_cancel_and_no_show(api: Api) -> None:
    p = await Place(api).setup()
    first, second = await p.book(p.at(10), p.at(11))
    cancelled = await api.client.post(
        f"{APPOINTMENTS}/{first}/cancel", json={"reason": "Travelling"}, headers=p.as_patient
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancellation"]["by"] == p.patient
    assert cancelled.json()["cancellation"]["reason"] == "Travelling"
    desk_view = (await api.client.get(f"{APPOINTMENTS}/{first}", headers=p.as_desk)).json()
    assert desk_view["status"] == "CANCELLED" and desk_view["cancellation"]["reason"] is None
    assert_error(
        await api.client.post(f"{APPOINTMENTS}/{second}/cancel", json={"why": "x"}, headers=p.as_patient),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(
        await api.client.post(f"{APPOINTMENTS}/{second}/cancel", json={}, headers=p.as_other),
        404,
        "APPOINTMENT_NOT_FOUND",
    )
    gone = await api.client.post(f"{APPOINTMENTS}/{second}/no-show", headers=p.as_desk)
    assert gone.status_code == 200 and gone.json()["status"] == "NO_SHOW"


async def test_reschedule_into_a_taken_slot_is_refused_and_changes_nothing(api: Api) -> None:
    p = await Place(api).setup()
    (mine,) = await p.book(p.at(10))
    await p.book(p.at(11), patient=p.other)
    url = f"{APPOINTMENTS}/{mine}"

    taken = await api.client.post(
        f"{url}/reschedule", json={"startsAt": z(p.at(11, 15))}, headers=p.as_patient
    )
    assert_error(taken, 409, "APPOINTMENT_CONFLICT")
    after = await api.client.get(url, headers=p.as_patient)
    assert after.json()["startsAt"] == z(p.at(10)) and after.headers["etag"] == '"1"'

    assert_error(
        await api.client.post(f"{url}/reschedule", json={"startsAt": z(p.at(23))}, headers=p.as_patient),
        409,
        "APPOINTMENT_SLOT_UNAVAILABLE",
    )
    assert_error(
        await api.client.post(
            f"{url}/reschedule", json={"startsAt": z(p.at(12))}, headers={**p.as_desk, "If-Match": '"7"'}
        ),
        409,
        "VERSION_CONFLICT",
    )
    assert_error(
        await api.client.post(
            f"{url}/reschedule", json={"startsAt": z(p.at(12)), "room": 4}, headers=p.as_desk
        ),
        400,
        "VALIDATION_ERROR",
    )
    moved = await api.client.post(
        f"{url}/reschedule",
        json={"startsAt": z(p.at(9, 45)), "durationMinutes": 45},
        headers={**p.as_desk, "If-Match": '"1"'},
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["startsAt"], body["endsAt"], body["status"]) == (z(p.at(9, 45)), z(p.at(10, 30)), "BOOKED")
    assert moved.headers["etag"] == '"2"'
    # The old slot's tail (10:30-10:40) is free again; the new one is taken.
    await p.book(p.at(10, 30), patient=p.other, minutes=10)


async def test_lists_filter_page_and_stay_in_their_clinic(api: Api) -> None:
    p = await Place(api).setup()
    mine = await p.book(p.at(7), p.at(8))
    theirs = await p.book(*(p.at(9, 10 * i) for i in range(6)), patient=p.other, minutes=10)
    later = await p.book(p.at(7, day=1))

    everything = await p.list(p.as_desk)
    assert everything.status_code == 200, everything.text
    assert [a["id"] for a in everything.json()["items"]] == [*mine, *theirs, *later]
    own = (await p.list(p.as_patient)).json()["items"]
    assert [a["id"] for a in own] == [*mine, *later]
    assert all(a["reason"] for a in own)
    assert (await p.list(p.as_patient, patientId=p.other)).json()["items"] == []
    assert [a["id"] for a in (await p.list(p.as_doctor, patientId=p.other)).json()["items"]] == theirs
    day = await p.list(p.as_doctor, **{"from": z(p.at(0, day=1)), "to": z(p.at(0, day=2))})
    assert [a["id"] for a in day.json()["items"]] == later
    assert [a["id"] for a in (await p.list(p.as_doctor, status="cancelled")).json()["items"]] == []
    assert len((await p.list(p.as_doctor, doctorId=p.doctor, locationId=p.location)).json()["items"]) == 9

    # Keyset pages in time order; the cursor carries on where the page ended.
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 4}
    while True:
        page = (await p.list(p.as_doctor, **params)).json()
        seen += [a["id"] for a in page["items"]]
        if page["nextCursor"] is None:
            break
        params["cursor"] = page["nextCursor"]
    assert seen == [*mine, *theirs, *later]

    first = (await p.list(p.as_desk, limit=2)).json()
    elsewhere = await Place(api).setup("Elsewhere")
    await elsewhere.add_member(p.desk_id, "RECEPTIONIST", elsewhere.clinic)
    stolen = await elsewhere.list(p.as_desk, cursor=first["nextCursor"])
    assert assert_error(stolen, 400, "VALIDATION_ERROR")["details"] == {
        "cursor": "expected a cursor returned by this list"
    }
    assert_error(await p.list(p.as_desk, limit=0), 400, "VALIDATION_ERROR")
    assert_error(await p.list(p.as_desk, status="LOST"), 400, "VALIDATION_ERROR")
    assert_error(await p.list(p.as_desk, **{"from": "yesterday"}), 400, "VALIDATION_ERROR")
    assert_error(await api.client.get(APPOINTMENTS, headers=p.as_desk), 400, "VALIDATION_ERROR")
    assert_error(await p.list(elsewhere.as_doctor), 403, "CLINIC_ACCESS_DENIED")
    assert_error(await p.list(await api.demo_clinic_admin()), 403, "CLINIC_ACCESS_DENIED")


async def test_the_limit_is_capped_at_100(api: Api) -> None:
    p = await Place(api).setup()
    await p.book(*(p.at(6, 10 * i) for i in range(105)), minutes=10)
    page = (await p.list(p.as_desk, limit=500)).json()
    assert len(page["items"]) == 100 and page["nextCursor"]
    rest = (await p.list(p.as_desk, limit=500, cursor=page["nextCursor"])).json()
    assert len(rest["items"]) == 5 and rest["nextCursor"] is None
    assert len((await p.list(p.as_desk)).json()["items"]) == 20


async def test_another_clinics_appointment_is_not_found(api: Api) -> None:
    p = await Place(api).setup()
    [visit] = await p.book(p.at(10))
    elsewhere = await Place(api).setup("Elsewhere")
    url = f"{APPOINTMENTS}/{visit}"
    assert_error(await api.client.get(url, headers=elsewhere.as_doctor), 404, "APPOINTMENT_NOT_FOUND")
    for action in ("cancel", "check-in", "complete", "no-show"):
        assert_error(
            await api.client.post(f"{url}/{action}", headers=elsewhere.as_doctor),
            404,
            "APPOINTMENT_NOT_FOUND",
        )
    assert_error(
        await api.client.post(
            f"{url}/reschedule", json={"startsAt": z(p.at(12))}, headers=elsewhere.as_doctor
        ),
        404,
        "APPOINTMENT_NOT_FOUND",
    )
    assert_error(await api.client.get(url, headers=await api.super_admin()), 404, "APPOINTMENT_NOT_FOUND")
    assert_error(await api.client.get(f"{APPOINTMENTS}/not-an-id", headers=p.as_desk), 400, "INVALID_UUID")
    still = (await api.client.get(url, headers=p.as_patient)).json()
    assert still["status"] == "BOOKED" and still["version"] == 1
