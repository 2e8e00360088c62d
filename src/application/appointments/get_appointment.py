"""Read one appointment."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.appointments.disclosure import AppointmentDisclosure
from application.appointments.lifecycle import find_appointment, require_on_appointment
from application.appointments.views import AppointmentView
from application.audit.denials import DeniedAttempts
from application.caching import UNCACHED, QueryCache, cached
from application.clinics.clinic_entry import cached_clinic
from application.ports.appointments import AppointmentRepository
from application.ports.cache import FREQUENT
from application.ports.repositories import ClinicRepository
from domain.access import Action, Actor
from domain.appointments import Appointment
from domain.clinics import Clinic


@dataclass(frozen=True, slots=True, kw_only=True)
class GetAppointmentQuery:
    """``clinic_id`` None: the appointment is looked up in the caller's clinics."""

    appointment_id: UUID
    clinic_id: UUID | None = None


class GetAppointment:
    """Read one appointment.

    - The patient reads their own; doctors and receptionists of the clinic (within their
      locations) read any. Outsiders, other patients, staff past their locations and a missing
      appointment: APPOINTMENT_NOT_FOUND; a clinic admin: INSUFFICIENT_PERMISSIONS. Refusals are
      audited (DENIED).
    - The patient's words (reason, cancellation reason) need a PHI basis (self, treatment
      consent, break-glass); without one staff see the appointment with them withheld (null).
    - Every read is audited as VIEW_APPOINTMENT_<basis> naming the patient (see disclosure).
    - The clinic (for its time zone) is cached as every clinic read caches it.
    - The appointment is cached encrypted (sensitive; key per clinic, tag ``appointment:<id>``,
      dropped by every write to it); access, the PHI basis and the read audit run on every
      call, hit or miss, on the cached object. A lapsing hold needs no write: whether it is
      still active is worked out from ``hold_expires_at`` when it is used, never stored.
    """

    def __init__(
        self,
        appointments: AppointmentRepository,
        clinics: ClinicRepository,
        disclosure: AppointmentDisclosure,
        denied: DeniedAttempts,
        cache: QueryCache = UNCACHED,
    ) -> None:
        self._appointments = appointments
        self._clinics = clinics
        self._disclosure = disclosure
        self._denied = denied
        self.cache = cache

    async def __call__(self, query: GetAppointmentQuery, actor: Actor) -> AppointmentView:
        return await self._denied.guard(lambda: self._read(query, actor))

    async def _read(self, query: GetAppointmentQuery, actor: Actor) -> AppointmentView:
        appointment = await find_appointment(self.load, actor, query.appointment_id, query.clinic_id)
        require_on_appointment(actor, Action.VIEW_APPOINTMENTS, appointment)
        [shown] = await self._disclosure.disclose(actor, [appointment])
        clinic = await self.clinic(appointment.clinic_id)
        return AppointmentView(shown, clinic.time_zone if clinic is not None else "UTC")

    @cached(
        "appointment:{clinic_id}:{appointment_id}",
        policy=FREQUENT,
        phi=True,
        tags=("appointment:{appointment_id}",),
    )
    async def load(self, clinic_id: UUID, appointment_id: UUID) -> Appointment | None:
        return await self._appointments.get(clinic_id, appointment_id)

    @cached_clinic
    async def clinic(self, clinic_id: UUID) -> Clinic | None:
        return await self._clinics.get(clinic_id)
