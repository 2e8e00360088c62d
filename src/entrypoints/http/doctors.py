"""HTTP routes of the doctors capability: profiles, weekly schedules and time off."""

from __future__ import annotations

from typing import Annotated

from dishka.integrations.litestar import FromDishka
from litestar import Response, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from application.doctors.add_time_off import AddTimeOff, AddTimeOffCommand
from application.doctors.create_doctor import CreateDoctor, CreateDoctorCommand
from application.doctors.get_doctor import GetDoctor
from application.doctors.list_doctors import ListDoctors
from application.doctors.list_time_off import ListTimeOff, ListTimeOffQuery
from application.doctors.remove_time_off import RemoveTimeOff
from application.doctors.set_doctor_schedule import SetDoctorSchedule, SetDoctorScheduleCommand, WindowInput
from application.doctors.update_doctor import UpdateDoctor, UpdateDoctorCommand
from domain.access import Actor
from entrypoints.http.audit import parse_time
from entrypoints.http.clinics import etag, expected_version
from entrypoints.http.doctor_schemas import (
    DoctorIn,
    DoctorListOut,
    DoctorOut,
    DoctorPatchIn,
    ScheduleIn,
    ScheduleOut,
    TimeOffIn,
    TimeOffListOut,
    TimeOffOut,
)
from entrypoints.http.openapi import error_responses
from entrypoints.http.params import next_cursor, page_request, parse_uuid

TAGS = ["doctors"]
BASE = "/clinics/{clinic_id:str}/doctors"
ONE = f"{BASE}/{{doctor_id:str}}"
IfMatch = Annotated[str | None, HeaderParameter(name="If-Match")]


@post(BASE, status_code=201, tags=TAGS, responses=error_responses(401, 403, 409, body=True))
async def create_doctor(
    clinic_id: FromPath[str],
    data: JSONBody[DoctorIn],
    actor: FromDishka[Actor],
    create: FromDishka[CreateDoctor],
) -> Response[DoctorOut]:
    """Create the doctor profile of a user holding the DOCTOR role in the clinic (clinic admins)."""
    command = CreateDoctorCommand(
        clinic_id=parse_uuid(clinic_id, "clinicId"),
        user_id=data.user_id,
        specialty=data.specialty,
        licence_number=data.licence_number,
        display_name=data.display_name,
        bio=data.bio,
        slot_minutes=data.slot_minutes,
    )
    doctor = await create(command, actor)
    location = f"/api/v1/clinics/{doctor.clinic_id}/doctors/{doctor.id}"
    return Response(
        DoctorOut.of(doctor), status_code=201, headers={"Location": location, "ETag": etag(doctor.version)}
    )


@get(BASE, tags=TAGS, responses=error_responses(400, 401, 403, 404))
async def list_doctors(
    clinic_id: FromPath[str],
    actor: FromDishka[Actor],
    list_all: FromDishka[ListDoctors],
    limit: FromQuery[int | None] = None,
    cursor: FromQuery[str | None] = None,
) -> DoctorListOut:
    """A clinic's doctors, for its members, by id; ``cursor`` continues a list of this clinic only."""
    cid = parse_uuid(clinic_id, "clinicId")
    scope = f"doctors:{cid}"
    page = await list_all(cid, page_request(limit, cursor, scope), actor)
    return DoctorListOut(items=[DoctorOut.of(d) for d in page.items], next_cursor=next_cursor(page, scope))


@get(ONE, tags=TAGS, responses=error_responses(400, 401, 404))
async def get_doctor(
    clinic_id: FromPath[str], doctor_id: FromPath[str], actor: FromDishka[Actor], read: FromDishka[GetDoctor]
) -> Response[DoctorOut]:
    """One doctor with their weekly schedule, for members of the clinic."""
    doctor = await read(parse_uuid(clinic_id, "clinicId"), parse_uuid(doctor_id, "doctorId"), actor)
    return Response(DoctorOut.of(doctor), headers={"ETag": etag(doctor.version)})


@patch(ONE, tags=TAGS, responses=error_responses(401, 403, 404, 409, body=True))
async def update_doctor(
    clinic_id: FromPath[str],
    doctor_id: FromPath[str],
    data: JSONBody[DoctorPatchIn],
    actor: FromDishka[Actor],
    update: FromDishka[UpdateDoctor],
    if_match: IfMatch = None,
) -> Response[DoctorOut]:
    """Change a profile (clinic admins; the doctor their own, except licence number and active).
    Send the ETag as If-Match to guard the update."""
    fields = {f: getattr(data, f) for f in data.__struct_fields__}
    command = UpdateDoctorCommand(
        clinic_id=parse_uuid(clinic_id, "clinicId"),
        doctor_id=parse_uuid(doctor_id, "doctorId"),
        expected_version=expected_version(if_match),
        **fields,
    )
    doctor = await update(command, actor)
    return Response(DoctorOut.of(doctor), headers={"ETag": etag(doctor.version)})


@get(f"{ONE}/schedule", tags=TAGS, responses=error_responses(400, 401, 404))
async def get_schedule(
    clinic_id: FromPath[str], doctor_id: FromPath[str], actor: FromDishka[Actor], read: FromDishka[GetDoctor]
) -> Response[ScheduleOut]:
    """A doctor's weekly schedule (wall-clock times in the clinic's time zone)."""
    doctor = await read(parse_uuid(clinic_id, "clinicId"), parse_uuid(doctor_id, "doctorId"), actor)
    return Response(ScheduleOut.of(doctor), headers={"ETag": etag(doctor.version)})


@put(f"{ONE}/schedule", tags=TAGS, responses=error_responses(401, 403, 404, 409, body=True))
async def set_schedule(
    clinic_id: FromPath[str],
    doctor_id: FromPath[str],
    data: JSONBody[ScheduleIn],
    actor: FromDishka[Actor],
    set_weekly: FromDishka[SetDoctorSchedule],
    if_match: IfMatch = None,
) -> Response[DoctorOut]:
    """Replace the weekly schedule: working hours per location and breaks, ``HH:MM`` on the
    clinic's wall clock, weekday 0 is Monday. Answers with the doctor and its schedule."""
    command = SetDoctorScheduleCommand(
        clinic_id=parse_uuid(clinic_id, "clinicId"),
        doctor_id=parse_uuid(doctor_id, "doctorId"),
        hours=tuple(
            WindowInput(weekday=h.weekday, start=h.start, end=h.end, location_id=h.location_id)
            for h in data.hours
        ),
        breaks=tuple(WindowInput(weekday=b.weekday, start=b.start, end=b.end) for b in data.breaks),
        slot_minutes=data.slot_minutes,
        expected_version=expected_version(if_match),
    )
    doctor = await set_weekly(command, actor)
    return Response(DoctorOut.of(doctor), headers={"ETag": etag(doctor.version)})


@post(f"{ONE}/time-off", status_code=201, tags=TAGS, responses=error_responses(401, 403, 404, body=True))
async def add_time_off(
    clinic_id: FromPath[str],
    doctor_id: FromPath[str],
    data: JSONBody[TimeOffIn],
    actor: FromDishka[Actor],
    add: FromDishka[AddTimeOff],
) -> Response[TimeOffOut]:
    """Add a period of time off (clinic admins; the doctor their own)."""
    command = AddTimeOffCommand(
        clinic_id=parse_uuid(clinic_id, "clinicId"),
        doctor_id=parse_uuid(doctor_id, "doctorId"),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        reason=data.reason,
    )
    period = await add(command, actor)
    location = f"/api/v1/clinics/{period.clinic_id}/doctors/{period.doctor_id}/time-off/{period.id}"
    return Response(TimeOffOut.of(period), status_code=201, headers={"Location": location})


@get(f"{ONE}/time-off", tags=TAGS, responses=error_responses(400, 401, 404))
async def list_time_off(
    clinic_id: FromPath[str],
    doctor_id: FromPath[str],
    actor: FromDishka[Actor],
    list_periods: FromDishka[ListTimeOff],
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
) -> TimeOffListOut:
    """The doctor's time off overlapping ``from`` (default now) to ``to`` (default and at most
    366 days later), by start. Reasons are shown to clinic admins and the doctor only."""
    query = ListTimeOffQuery(
        clinic_id=parse_uuid(clinic_id, "clinicId"),
        doctor_id=parse_uuid(doctor_id, "doctorId"),
        starts=parse_time(since, "from"),
        ends=parse_time(until, "to"),
    )
    return TimeOffListOut(items=[TimeOffOut.of(p) for p in await list_periods(query, actor)])


@delete(
    f"{ONE}/time-off/{{time_off_id:str}}",
    status_code=204,
    tags=TAGS,
    responses=error_responses(400, 401, 403, 404),
)
async def remove_time_off(
    clinic_id: FromPath[str],
    doctor_id: FromPath[str],
    time_off_id: FromPath[str],
    actor: FromDishka[Actor],
    remove: FromDishka[RemoveTimeOff],
) -> None:
    """Remove a period of time off (clinic admins; the doctor their own)."""
    await remove(
        parse_uuid(clinic_id, "clinicId"),
        parse_uuid(doctor_id, "doctorId"),
        parse_uuid(time_off_id, "timeOffId"),
        actor,
    )


ROUTES = [
    create_doctor,
    list_doctors,
    get_doctor,
    update_doctor,
    get_schedule,
    set_schedule,
    add_time_off,
    list_time_off,
    remove_time_off,
]
