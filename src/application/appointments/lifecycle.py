"""Shared pieces of the appointment lifecycle use cases: finding an appointment in the caller's
clinics, the access check on it, its domain events, and the shape of one state transition."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from application.appointments.disclosure import AppointmentDisclosure
from application.appointments.views import AppointmentView, appointment_tags
from application.auditing import AuditEntries, denial
from application.ports.appointments import AppointmentRepository
from application.ports.clock import Clock, IdGenerator
from application.ports.events import EventOutbox
from application.ports.repositories import ClinicRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor, Decision, decide
from domain.appointments import Appointment
from domain.errors import AppointmentNotFound, InsufficientPermissions, VersionConflict
from domain.events import DomainEvent, EventKind

RESOURCE = "appointment"
_HIDDEN = (Decision.NOT_A_MEMBER, Decision.NOT_OWN, Decision.OUTSIDE_LOCATIONS)


def iso(instant: datetime) -> str:
    """An instant as ISO 8601 in UTC with ``Z``, for event data."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


# (clinic_id, appointment_id) -> the appointment or None: a repository's ``get``, or a cached read.
Lookup = Callable[[UUID, UUID], Awaitable[Appointment | None]]


async def find_appointment(
    get: Lookup, actor: Actor, appointment_id: UUID, clinic_id: UUID | None = None
) -> Appointment:
    """The appointment ``appointment_id`` in ``clinic_id``, or (None) in any clinic the caller is a
    member of: appointments are top-level resources and carry their clinic. Anything else is
    APPOINTMENT_NOT_FOUND: an id of a clinic the caller is not in reveals nothing (and is never
    looked up, so no cached entry of another clinic is ever touched)."""
    scopes = [clinic_id] if clinic_id is not None else sorted(actor.clinic_ids)
    for scope in scopes:
        if scope not in actor.clinic_ids:
            continue
        found = await get(scope, appointment_id)
        if found is not None:
            return found
    raise AppointmentNotFound()


def require_on_appointment(actor: Actor, action: Action, appointment: Appointment) -> None:
    """Allow ``action`` on ``appointment`` (the policy row of the action, with the appointment's
    patient and location), or raise with a denial to audit. Who may not even see the appointment
    (outsiders, other patients, staff past their locations) gets APPOINTMENT_NOT_FOUND; who sees
    it but may not do this (a patient checking themselves in, a clinic admin) gets
    INSUFFICIENT_PERMISSIONS."""
    a = appointment
    decision = decide(actor, action, a.clinic_id, patient_id=a.patient_id, location_id=a.location_id)
    if decision is Decision.ALLOWED:
        return
    refused = denial(actor, action, a.clinic_id, resource=(RESOURCE, a.id), patient_id=a.patient_id)
    sees = decide(
        actor, Action.VIEW_APPOINTMENTS, a.clinic_id, patient_id=a.patient_id, location_id=a.location_id
    )
    if sees in _HIDDEN:
        raise AppointmentNotFound(denial=refused)
    raise InsufficientPermissions(denial=refused)


def appointment_event(
    ids: IdGenerator,
    kind: EventKind,
    appointment: Appointment,
    at: datetime,
    extra: Mapping[str, str] | None = None,
) -> DomainEvent:
    """The event of a change to ``appointment``: ids, times and statuses only, never PHI."""
    a = appointment
    data = {
        "appointmentId": str(a.id),
        "doctorId": str(a.doctor_id),
        "patientId": str(a.patient_id),
        "locationId": str(a.location_id),
        "startsAt": iso(a.starts_at),
        "endsAt": iso(a.ends_at),
        "status": a.status.value,
        "version": str(a.version),
        **(extra or {}),
    }
    return DomainEvent(
        id=ids.new_id(), clinic_id=a.clinic_id, kind=kind, subject_id=a.id, occurred_at=at, data=data
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TransitionCommand:
    """A state change of one appointment. ``clinic_id`` None: look in the caller's clinics.
    ``expected_version`` (from If-Match) guards against a change made since it was read."""

    appointment_id: UUID
    clinic_id: UUID | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """What a transition did: its event kind, the fields it changed (for the audit entry, names
    only) and what its event carries beyond the appointment's ids, times and status."""

    kind: EventKind
    fields: tuple[str, ...]
    extra: Mapping[str, str] = field(default_factory=dict)


Apply = Callable[[Appointment, datetime], Awaitable[Change]]


class AppointmentWrites:
    """The one shape of every lifecycle write, with what it needs injected once: in one unit of
    work, find the appointment, check access and If-Match, apply the transition, store it (the
    repository enforces the version and no-overlap), emit its event, audit it, make the doctor's
    availability stale, commit; then answer with what the caller may see of it."""

    def __init__(
        self,
        appointments: AppointmentRepository,
        clinics: ClinicRepository,
        events: EventOutbox,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
        disclosure: AppointmentDisclosure,
    ) -> None:
        self.appointments = appointments
        self.clinics = clinics
        self.events = events
        self.uow = uow
        self.clock = clock
        self.ids = ids
        self.audit = audit
        self.disclosure = disclosure

    async def __call__(
        self, cmd: TransitionCommand, actor: Actor, action: Action, apply: Apply
    ) -> AppointmentView:
        appointment = await self.uow.run(lambda: self._write(cmd, actor, action, apply))
        [shown] = await self.disclosure.disclose(actor, [appointment])
        clinic = await self.clinics.get(shown.clinic_id)
        return AppointmentView(shown, clinic.time_zone if clinic is not None else "UTC")

    async def _write(self, cmd: TransitionCommand, actor: Actor, action: Action, apply: Apply) -> Appointment:
        appointment = await find_appointment(self.appointments.get, actor, cmd.appointment_id, cmd.clinic_id)
        require_on_appointment(actor, action, appointment)
        if cmd.expected_version is not None and cmd.expected_version != appointment.version:
            raise VersionConflict()
        version, status = appointment.version, appointment.status
        now = self.clock.now()
        change = await apply(appointment, now)
        await self.appointments.update(appointment, expected_version=version, now=now)
        extra = {"previousStatus": status.value, **change.extra}
        await self.events.add(appointment_event(self.ids, change.kind, appointment, now, extra))
        self.uow.record(
            self.audit.entry(
                actor,
                action.value,
                RESOURCE,
                appointment.id,
                clinic_id=appointment.clinic_id,
                patient_id=appointment.patient_id,
                changed_fields=change.fields,
            )
        )
        self.uow.touch(*appointment_tags(appointment))
        await self.uow.commit()
        return appointment
