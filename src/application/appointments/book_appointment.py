"""Book an appointment, or hold its slot for a while."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from application.access import require_for_patient
from application.appointments.lifecycle import RESOURCE, appointment_event
from application.appointments.views import AppointmentView, appointment_tags
from application.auditing import AuditEntries
from application.consent.patients import require_patient
from application.ports.appointments import AppointmentRepository
from application.ports.clock import Clock, IdGenerator
from application.ports.doctors import DoctorRepository, TimeOffRepository
from application.ports.events import EventOutbox
from application.ports.idempotency import IdempotencyStore, IdempotentRequest, StoredResponse, checked_key
from application.ports.repositories import ClinicRepository, LocationRepository, MembershipRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.appointments import MAX_DURATION, MIN_DURATION, Appointment, AppointmentStatus
from domain.errors import (
    AppointmentNotFound,
    ClinicNotFound,
    DoctorNotFound,
    LocationNotFound,
    PatientNotFound,
    ValidationFailed,
)
from domain.events import EventKind
from domain.scheduling import Interval, check_bookable

CREATED = "created"


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingPolicy:
    """How long a hold blocks its slot (APP_APPOINTMENT_HOLD_MINUTES)."""

    hold: timedelta = timedelta(minutes=10)


@dataclass(frozen=True, slots=True, kw_only=True)
class BookAppointmentCommand:
    clinic_id: UUID
    location_id: UUID
    doctor_id: UUID
    patient_id: UUID
    starts_at: datetime
    duration_minutes: int | None = None  # None: the doctor's slot length
    reason: str | None = None  # the patient's words: PHI, never in events, logs or audit
    hold: bool = False
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Booking:
    """The booked (or held) appointment; ``replayed`` when an Idempotency-Key answered it."""

    view: AppointmentView
    replayed: bool = False


def request_digest(cmd: BookAppointmentCommand) -> str:
    """SHA-256 over the request as the client sent it: what decides whether a retried key
    carries the same request."""
    document = {
        "clinic_id": str(cmd.clinic_id),
        "location_id": str(cmd.location_id),
        "doctor_id": str(cmd.doctor_id),
        "patient_id": str(cmd.patient_id),
        "starts_at": cmd.starts_at.isoformat(),
        "duration_minutes": cmd.duration_minutes,
        "reason": cmd.reason,
        "hold": cmd.hold,
    }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _wanted(cmd: BookAppointmentCommand, slot_minutes: int) -> Interval:
    if cmd.starts_at.utcoffset() is None:
        raise ValidationFailed(
            details={"startsAt": "expected a time with a time zone, e.g. 2026-03-02T09:00:00Z"}
        )
    length = timedelta(minutes=cmd.duration_minutes or slot_minutes)
    if cmd.duration_minutes is not None and not MIN_DURATION <= length <= MAX_DURATION:
        raise ValidationFailed(details={"durationMinutes": "expected 5 to 480 minutes"})
    start = cmd.starts_at.astimezone(UTC)
    return Interval(start, start + length)


class BookAppointment:
    """Book an appointment (BOOKED), or with ``hold`` hold its slot (HELD until the hold lapses).

    - The patient themselves, or the clinic's doctors and receptionists (within their
      locations); whoever may not act for this patient gets PATIENT_NOT_FOUND.
    - The location is the clinic's (LOCATION_NOT_FOUND); the patient holds the PATIENT role
      there (PATIENT_NOT_FOUND); the doctor has an active profile there (DOCTOR_NOT_FOUND).
    - The length is ``duration_minutes`` (5 to 480) or the doctor's slot length.
    - APPOINTMENT_SLOT_UNAVAILABLE: in the past, outside the doctor's hours at that location, in a
      break or time off. APPOINTMENT_CONFLICT: it overlaps an active appointment (or live hold)
      of the doctor or of the patient; the repository makes that true under any concurrency.
    - A hold blocks the slot for BookingPolicy.hold, then lapses unless confirmed.
    - With an Idempotency-Key: the same key and request within 24 hours answer the first
      booking again; the same key with another request is IDEMPOTENCY_KEY_REUSED.
    - Audited (BOOK_APPOINTMENT or HOLD_APPOINTMENT), appointment.booked / appointment.held into
      the outbox, the doctor's availability made stale: one unit of work, one commit.
    """

    def __init__(
        self,
        clinics: ClinicRepository,
        locations: LocationRepository,
        memberships: MembershipRepository,
        doctors: DoctorRepository,
        time_off: TimeOffRepository,
        appointments: AppointmentRepository,
        idempotency: IdempotencyStore,
        events: EventOutbox,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
        policy: BookingPolicy,
    ) -> None:
        self._clinics = clinics
        self._locations = locations
        self._memberships = memberships
        self._doctors = doctors
        self._time_off = time_off
        self._appointments = appointments
        self._idempotency = idempotency
        self._events = events
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit
        self._policy = policy

    async def __call__(self, cmd: BookAppointmentCommand, actor: Actor) -> Booking:
        key = None if cmd.idempotency_key is None else checked_key(cmd.idempotency_key)
        return await self._uow.run(lambda: self._execute(cmd, key, actor))

    async def _execute(self, cmd: BookAppointmentCommand, key: str | None, actor: Actor) -> Booking:
        require_for_patient(
            actor,
            Action.BOOK_APPOINTMENT,
            cmd.clinic_id,
            cmd.patient_id,
            PatientNotFound(),
            location_id=cmd.location_id,
        )
        now = self._clock.now()
        request = None
        if key is not None:
            request = IdempotentRequest(
                clinic_id=cmd.clinic_id,
                scope=f"appointments.book:{actor.user_id}",
                key=key,
                request_hash=request_digest(cmd),
            )
            stored = await self._idempotency.reserve(request, now=now)
            if stored is not None:
                return await self._replay(cmd.clinic_id, stored)
        clinic = await self._clinics.get(cmd.clinic_id)
        if clinic is None:
            raise ClinicNotFound()
        if await self._locations.get(cmd.clinic_id, cmd.location_id) is None:
            raise LocationNotFound()
        await require_patient(self._memberships, cmd.clinic_id, cmd.patient_id)
        doctor = await self._doctors.get(cmd.clinic_id, cmd.doctor_id)
        if doctor is None or not doctor.active:
            raise DoctorNotFound()
        wanted = _wanted(cmd, doctor.slot_minutes)
        time_off = await self._time_off.overlapping(cmd.clinic_id, cmd.doctor_id, wanted)
        busy = [
            *await self._appointments.busy(cmd.clinic_id, cmd.doctor_id, wanted, now=now),
            *await self._appointments.patient_busy(cmd.clinic_id, cmd.patient_id, wanted, now=now),
        ]
        check_bookable(
            doctor.schedule(time_off),
            ZoneInfo(clinic.time_zone),
            wanted,
            busy,
            now=now,
            location_id=cmd.location_id,
        )
        appointment = Appointment(
            id=self._ids.new_id(),
            clinic_id=cmd.clinic_id,
            location_id=cmd.location_id,
            doctor_id=cmd.doctor_id,
            patient_id=cmd.patient_id,
            starts_at=wanted.start,
            ends_at=wanted.end,
            status=AppointmentStatus.HELD if cmd.hold else AppointmentStatus.BOOKED,
            reason=cmd.reason,
            hold_expires_at=now + self._policy.hold if cmd.hold else None,
            created_at=now,
            created_by=actor.user_id,
            updated_at=now,
            updated_by=actor.user_id,
        )
        await self._appointments.add(appointment, now=now)
        kind = EventKind.APPOINTMENT_HELD if cmd.hold else EventKind.APPOINTMENT_BOOKED
        await self._events.add(appointment_event(self._ids, kind, appointment, now))
        action = "HOLD_APPOINTMENT" if cmd.hold else Action.BOOK_APPOINTMENT.value
        self._uow.record(
            self._audit.entry(
                actor,
                action,
                RESOURCE,
                appointment.id,
                clinic_id=cmd.clinic_id,
                patient_id=cmd.patient_id,
            )
        )
        self._uow.touch(*appointment_tags(appointment))
        if request is not None:
            body = json.dumps({"appointment_id": str(appointment.id), "time_zone": clinic.time_zone})
            await self._idempotency.remember(request, StoredResponse(status=CREATED, body=body.encode()))
        await self._uow.commit()
        return Booking(AppointmentView(appointment, clinic.time_zone))

    async def _replay(self, clinic_id: UUID, stored: StoredResponse) -> Booking:
        """The first booking, as it is now (it may have been confirmed or cancelled since). The
        stored response names it and holds no PHI."""
        body = json.loads(stored.body)
        appointment = await self._appointments.get(clinic_id, UUID(body["appointment_id"]))
        if appointment is None:  # a stored response always names a stored appointment
            raise AppointmentNotFound(context="idempotent replay of a missing appointment")
        return Booking(AppointmentView(appointment, body["time_zone"]), replayed=True)
