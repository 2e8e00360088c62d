"""HTTP routes of booking: book or hold, confirm a hold, and a doctor's availability."""

from __future__ import annotations

from typing import Annotated, Any

from dishka.integrations.litestar import FromDishka
from litestar import Response, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from application.appointments.book_appointment import BookAppointment, BookAppointmentCommand
from application.appointments.confirm_hold import ConfirmAppointment
from application.appointments.get_availability import GetAvailability, GetAvailabilityQuery
from application.appointments.lifecycle import TransitionCommand
from domain.access import Actor
from domain.errors import ValidationFailed
from entrypoints.http.appointment_schemas import (
    AppointmentOut,
    AvailabilityOut,
    BookAppointmentIn,
    SlotOut,
    local_wall_time,
    utc,
)
from entrypoints.http.audit import parse_time
from entrypoints.http.clinics import etag, expected_version
from entrypoints.http.openapi import error_responses
from entrypoints.http.params import parse_uuid

TAGS = ["appointments"]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="Retry-safe key: the same key and body within 24 hours answer the first booking again.",
    ),
]
IfMatch = Annotated[str | None, HeaderParameter(name="If-Match")]
REPLAYED = "Idempotent-Replayed"


def _created(out: AppointmentOut, replayed: bool) -> Response[AppointmentOut]:
    headers = {"Location": f"/api/v1/appointments/{out.id}", "ETag": etag(out.version)}
    if replayed:
        headers[REPLAYED] = "true"
    return Response(out, status_code=201, headers=headers)


@post("/appointments", status_code=201, tags=TAGS, responses=error_responses(401, 403, 404, 409, body=True))
async def book_appointment(
    data: JSONBody[BookAppointmentIn],
    actor: FromDishka[Actor],
    book: FromDishka[BookAppointment],
    idempotency_key: IdempotencyKey = None,
) -> Response[AppointmentOut]:
    """Book an appointment, or with `"hold": true` hold the slot until it is confirmed or lapses
    (the patient, or the clinic's doctors and receptionists). 409 APPOINTMENT_SLOT_UNAVAILABLE
    outside the doctor's hours, in time off or in the past; 409 APPOINTMENT_CONFLICT when it
    overlaps an active appointment of that doctor or patient."""
    booking = await book(
        BookAppointmentCommand(
            clinic_id=data.clinic_id,
            location_id=data.location_id,
            doctor_id=data.doctor_id,
            patient_id=data.patient_id,
            starts_at=data.starts_at,
            duration_minutes=data.duration_minutes,
            reason=data.reason,
            hold=data.hold,
            idempotency_key=idempotency_key,
        ),
        actor,
    )
    return _created(AppointmentOut.of_view(booking.view), booking.replayed)


@post(
    "/appointments/{appointment_id:str}/confirm",
    status_code=200,
    tags=TAGS,
    responses=error_responses(400, 401, 403, 404, 409),
)
async def confirm_appointment(
    appointment_id: FromPath[str],
    actor: FromDishka[Actor],
    confirm: FromDishka[ConfirmAppointment],
    if_match: IfMatch = None,
) -> Response[AppointmentOut]:
    """Confirm a hold (HELD -> BOOKED); 409 APPOINTMENT_HOLD_EXPIRED once it has lapsed."""
    command = TransitionCommand(
        appointment_id=parse_uuid(appointment_id, "appointmentId"),
        expected_version=expected_version(if_match),
    )
    view = await confirm(command, actor)
    out = AppointmentOut.of_view(view)
    return Response(out, headers={"ETag": etag(out.version)})


@get(
    "/clinics/{clinic_id:str}/doctors/{doctor_id:str}/availability",
    tags=TAGS,
    responses=error_responses(400, 401, 403, 404),
)
async def get_availability(
    clinic_id: FromPath[str],
    doctor_id: FromPath[str],
    actor: FromDishka[Actor],
    availability: FromDishka[GetAvailability],
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
    location_id: Annotated[str | None, QueryParameter(name="locationId")] = None,
) -> AvailabilityOut:
    """A doctor's free slots starting in [from, to) (at most 31 days; `YYYY-MM-DD` is midnight
    UTC), in UTC with the clinic's wall time alongside (`localStartsAt`, in `timeZone`)."""
    starts_from, starts_before = parse_time(since, "from"), parse_time(until, "to")
    missing: dict[str, Any] = {n: "required" for n, v in (("from", since), ("to", until)) if v is None}
    if missing or starts_from is None or starts_before is None:
        raise ValidationFailed(details=missing)
    query = GetAvailabilityQuery(
        clinic_id=parse_uuid(clinic_id, "clinicId"),
        doctor_id=parse_uuid(doctor_id, "doctorId"),
        starts_from=starts_from,
        starts_before=starts_before,
        location_id=None if location_id is None else parse_uuid(location_id, "locationId"),
    )
    found = await availability(query, actor)
    return AvailabilityOut(
        clinic_id=query.clinic_id,
        doctor_id=query.doctor_id,
        time_zone=found.time_zone,
        from_=utc(starts_from),
        to=utc(starts_before),
        slots=[
            SlotOut(
                starts_at=slot.start,
                ends_at=slot.end,
                local_starts_at=local_wall_time(slot.start, found.time_zone),
                location_id=slot.location_id,
            )
            for slot in found.slots
        ],
    )


ROUTES: list[Any] = [book_appointment, confirm_appointment, get_availability]
