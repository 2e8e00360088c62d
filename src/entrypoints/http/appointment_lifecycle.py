"""HTTP routes of the appointment lifecycle: reads, lists and the state transitions.

Lists run in (startsAt, id) order, a day view's order; the cursor carries that position, bound
to the clinic it was made for.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from application.appointments.cancel_appointment import CancelAppointment, CancelAppointmentCommand
from application.appointments.check_in_appointment import CheckInAppointment
from application.appointments.complete_appointment import CompleteAppointment
from application.appointments.get_appointment import GetAppointment, GetAppointmentQuery
from application.appointments.lifecycle import TransitionCommand
from application.appointments.list_appointments import ListAppointments, ListAppointmentsQuery
from application.appointments.mark_no_show import MarkNoShow
from application.appointments.reschedule_appointment import (
    RescheduleAppointment,
    RescheduleAppointmentCommand,
)
from application.appointments.views import AppointmentView
from application.ports.appointments import AppointmentKey
from domain.access import Actor
from domain.errors import ValidationFailed
from entrypoints.http.appointment_schemas import AppointmentListOut, AppointmentOut
from entrypoints.http.audit import parse_time
from entrypoints.http.clinics import etag, expected_version
from entrypoints.http.openapi import error_responses
from entrypoints.http.params import page_request, parse_uuid
from entrypoints.http.schemas import In

TAGS = ["appointments"]
BASE = "/appointments"
ITEM = f"{BASE}/{{appointment_id:str}}"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
IfMatch = Annotated[str | None, HeaderParameter(name="If-Match")]


class CancelIn(In):
    reason: str | None = None


class RescheduleIn(In):
    starts_at: datetime
    duration_minutes: int | None = None
    location_id: UUID | None = None


def _scope(clinic_id: UUID) -> str:
    return f"appointments:{clinic_id}"


def encode_cursor(key: AppointmentKey, scope: str) -> str:
    """The opaque cursor after ``key`` in the list of ``scope``."""
    micros = (key.starts_at - EPOCH) // timedelta(microseconds=1)  # exact, unlike a float timestamp
    return base64.urlsafe_b64encode(f"{scope}|{micros}|{key.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, scope: str) -> AppointmentKey:
    """The position a cursor of this list carries; one made for another scope (another clinic's
    list) or not made here at all is a VALIDATION_ERROR naming ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        cursor_scope, micros, after = raw.rsplit("|", 2)
        if cursor_scope == scope:
            return AppointmentKey(EPOCH + timedelta(microseconds=int(micros)), UUID(after))
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        pass
    raise ValidationFailed(details={"cursor": "expected a cursor returned by this list"})


def _respond(view: AppointmentView) -> Response[AppointmentOut]:
    return Response(AppointmentOut.of_view(view), headers={"ETag": etag(view.appointment.version)})


def _command(appointment_id: str, if_match: str | None) -> TransitionCommand:
    return TransitionCommand(
        appointment_id=parse_uuid(appointment_id, "appointmentId"),
        expected_version=expected_version(if_match),
    )


@get(BASE, tags=TAGS, responses=error_responses(400, 401, 403))
async def list_appointments(
    actor: FromDishka[Actor],
    list_page: FromDishka[ListAppointments],
    clinic_id: Annotated[str | None, QueryParameter(name="clinicId")] = None,
    doctor_id: Annotated[str | None, QueryParameter(name="doctorId")] = None,
    patient_id: Annotated[str | None, QueryParameter(name="patientId")] = None,
    location_id: Annotated[str | None, QueryParameter(name="locationId")] = None,
    status: FromQuery[str | None] = None,
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
    limit: FromQuery[int | None] = None,
    cursor: FromQuery[str | None] = None,
) -> AppointmentListOut:
    """A clinic's appointments in time order (startsAt, then id), ``limit`` (default 20, at most
    100) at a time. ``clinicId`` is required; ``from`` is inclusive and ``to`` exclusive on
    startsAt (``YYYY-MM-DD`` or an ISO 8601 time with an offset). Doctors and receptionists see
    the clinic's (their locations' when limited to some); a patient sees only their own. A list
    is a schedule: the reason shows only to the patient it belongs to (null for staff, who read
    it one appointment at a time under the patient's consent)."""
    if not clinic_id:
        raise ValidationFailed(details={"clinicId": "required"})
    cid = parse_uuid(clinic_id, "clinicId")
    scope = _scope(cid)
    page = page_request(limit, None, scope)
    query = ListAppointmentsQuery(
        clinic_id=cid,
        limit=page.limit,
        after=decode_cursor(cursor, scope) if cursor else None,
        doctor_id=parse_uuid(doctor_id, "doctorId") if doctor_id else None,
        patient_id=parse_uuid(patient_id, "patientId") if patient_id else None,
        location_id=parse_uuid(location_id, "locationId") if location_id else None,
        status=status,
        starts_from=parse_time(since, "from"),
        starts_before=parse_time(until, "to"),
    )
    found = await list_page(query, actor)
    return AppointmentListOut(
        items=[AppointmentOut.of(a, found.time_zone) for a in found.items],
        next_cursor=encode_cursor(found.next_after, scope) if found.next_after else None,
    )


@get(ITEM, tags=TAGS, responses=error_responses(400, 401, 403, 404))
async def get_appointment(
    appointment_id: FromPath[str], actor: FromDishka[Actor], read: FromDishka[GetAppointment]
) -> Response[AppointmentOut]:
    """One appointment, with its ETag, for its patient and the clinic's doctors and receptionists.
    The reason is null without a PHI basis for it."""
    view = await read(GetAppointmentQuery(appointment_id=parse_uuid(appointment_id, "appointmentId")), actor)
    return _respond(view)


@post(f"{ITEM}/cancel", status_code=200, tags=TAGS, responses=error_responses(401, 403, 404, 409, body=True))
async def cancel_appointment(
    appointment_id: FromPath[str],
    actor: FromDishka[Actor],
    cancel: FromDishka[CancelAppointment],
    data: JSONBody[CancelIn | None] = None,
    if_match: IfMatch = None,
) -> Response[AppointmentOut]:
    """Cancel (the patient, doctors, receptionists): BOOKED, CHECKED_IN or HELD -> CANCELLED.
    409 APPOINTMENT_TRANSITION_NOT_ALLOWED from any other status."""
    base = _command(appointment_id, if_match)
    command = CancelAppointmentCommand(
        appointment_id=base.appointment_id,
        expected_version=base.expected_version,
        reason=data.reason if data else None,
    )
    return _respond(await cancel(command, actor))


@post(
    f"{ITEM}/reschedule", status_code=200, tags=TAGS, responses=error_responses(401, 403, 404, 409, body=True)
)
async def reschedule_appointment(
    appointment_id: FromPath[str],
    data: JSONBody[RescheduleIn],
    actor: FromDishka[Actor],
    reschedule: FromDishka[RescheduleAppointment],
    if_match: IfMatch = None,
) -> Response[AppointmentOut]:
    """Move to ``startsAt`` (keeping the length unless ``durationMinutes``, the place unless
    ``locationId``): the new slot is taken and the old one freed, or nothing changes. 409
    APPOINTMENT_SLOT_UNAVAILABLE (past, outside hours, time off), APPOINTMENT_CONFLICT (overlaps
    another appointment of the doctor or the patient), APPOINTMENT_TRANSITION_NOT_ALLOWED,
    APPOINTMENT_HOLD_EXPIRED, VERSION_CONFLICT (a stale If-Match)."""
    base = _command(appointment_id, if_match)
    command = RescheduleAppointmentCommand(
        appointment_id=base.appointment_id,
        expected_version=base.expected_version,
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        location_id=data.location_id,
    )
    return _respond(await reschedule(command, actor))


@post(f"{ITEM}/check-in", status_code=200, tags=TAGS, responses=error_responses(400, 401, 403, 404, 409))
async def check_in_appointment(
    appointment_id: FromPath[str],
    actor: FromDishka[Actor],
    check_in: FromDishka[CheckInAppointment],
    if_match: IfMatch = None,
) -> Response[AppointmentOut]:
    """The patient arrived (doctors, receptionists): BOOKED -> CHECKED_IN."""
    return _respond(await check_in(_command(appointment_id, if_match), actor))


@post(f"{ITEM}/complete", status_code=200, tags=TAGS, responses=error_responses(400, 401, 403, 404, 409))
async def complete_appointment(
    appointment_id: FromPath[str],
    actor: FromDishka[Actor],
    complete: FromDishka[CompleteAppointment],
    if_match: IfMatch = None,
) -> Response[AppointmentOut]:
    """The visit took place (doctors): CHECKED_IN -> COMPLETED."""
    return _respond(await complete(_command(appointment_id, if_match), actor))


@post(f"{ITEM}/no-show", status_code=200, tags=TAGS, responses=error_responses(400, 401, 403, 404, 409))
async def mark_no_show(
    appointment_id: FromPath[str],
    actor: FromDishka[Actor],
    no_show: FromDishka[MarkNoShow],
    if_match: IfMatch = None,
) -> Response[AppointmentOut]:
    """The patient did not come (doctors, receptionists): BOOKED or CHECKED_IN -> NO_SHOW."""
    return _respond(await no_show(_command(appointment_id, if_match), actor))


ROUTES = [
    list_appointments,
    get_appointment,
    cancel_appointment,
    reschedule_appointment,
    check_in_appointment,
    complete_appointment,
    mark_no_show,
]
