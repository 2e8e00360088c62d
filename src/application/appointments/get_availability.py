"""A doctor's free slots over a range of days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from application.access import require_in_clinic
from application.audit.denials import DeniedAttempts
from application.caching import UNCACHED, QueryCache, cached
from application.ports.appointments import AppointmentRepository
from application.ports.cache import CachePolicy
from application.ports.clock import Clock
from application.ports.doctors import DoctorRepository, TimeOffRepository
from application.ports.repositories import ClinicRepository, LocationRepository
from domain.access import Action, Actor
from domain.errors import DoctorNotFound, LocationNotFound, ValidationFailed
from domain.scheduling import MAX_RANGE, Interval, Slot, free_slots

# Short-lived: a hold that lapses frees its slot without any write to invalidate the entry.
AVAILABILITY = CachePolicy(ttl=60, stale_time=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class GetAvailabilityQuery:
    clinic_id: UUID
    doctor_id: UUID
    starts_from: datetime  # inclusive: slots starting at or after it
    starts_before: datetime  # exclusive; at most 31 days after ``starts_from``
    location_id: UUID | None = None  # None: every location the doctor works at


@dataclass(frozen=True, slots=True)
class Availability:
    """Free slots in time order; ``time_zone`` is the clinic's (the slots' local wall times)."""

    time_zone: str
    slots: tuple[Slot, ...]


def _span(query: GetAvailabilityQuery) -> Interval:
    problems: dict[str, str] = {}
    for name, value in (("from", query.starts_from), ("to", query.starts_before)):
        if value.utcoffset() is None:
            problems[name] = "expected a time with a time zone, e.g. 2026-03-02T00:00:00Z"
    if not problems and query.starts_before <= query.starts_from:
        problems["to"] = "expected a time after from"
    elif not problems and query.starts_before - query.starts_from > MAX_RANGE:
        problems["to"] = "expected at most 31 days after from"
    if problems:
        raise ValidationFailed(details=problems)
    return Interval(query.starts_from.astimezone(UTC), query.starts_before.astimezone(UTC))


class GetAvailability:
    """Free slots of one doctor: working hours minus breaks, time off and active appointments
    (holds included), stepped by the doctor's slot length in the clinic's time zone, correct
    across daylight-saving changes; returned in UTC with the clinic's wall time alongside.

    - Every member of the clinic and super admins; anyone else, and a doctor who is not an active
      doctor of this clinic, gets DOCTOR_NOT_FOUND. An unknown ``location_id``: LOCATION_NOT_FOUND.
    - At most 31 days per call (VALIDATION_ERROR naming ``to``); only slots not yet started.
    - Cached per clinic, doctor, range and location under ``doctor:<id>`` and ``clinic:<id>``: a
      booking, cancellation, reschedule, schedule or time-off change of the doctor drops it after
      its commit (``UnitOfWork.touch``); access is checked on every call, outside the cache.
    """

    def __init__(
        self,
        clinics: ClinicRepository,
        locations: LocationRepository,
        doctors: DoctorRepository,
        time_off: TimeOffRepository,
        appointments: AppointmentRepository,
        clock: Clock,
        denied: DeniedAttempts,
        cache: QueryCache = UNCACHED,
    ) -> None:
        self._clinics = clinics
        self._locations = locations
        self._doctors = doctors
        self._time_off = time_off
        self._appointments = appointments
        self._clock = clock
        self._denied = denied
        self.cache = cache

    async def __call__(self, query: GetAvailabilityQuery, actor: Actor) -> Availability:
        return await self._denied.guard(lambda: self._read(query, actor))

    async def _read(self, query: GetAvailabilityQuery, actor: Actor) -> Availability:
        require_in_clinic(
            actor,
            Action.VIEW_AVAILABILITY,
            query.clinic_id,
            DoctorNotFound(),
            resource=("doctor", query.doctor_id),
        )
        span = _span(query)
        if (
            query.location_id is not None
            and await self._locations.get(query.clinic_id, query.location_id) is None
        ):
            raise LocationNotFound()
        found = await self.load(query.clinic_id, query.doctor_id, span.start, span.end, query.location_id)
        if found is None:
            raise DoctorNotFound()
        now = self._clock.now()
        return Availability(found.time_zone, tuple(s for s in found.slots if s.start >= now))

    @cached(
        "clinic:{clinic_id}:doctor:{doctor_id}:availability:{start}:{end}:{location_id}",
        policy=AVAILABILITY,
        tags=("clinic:{clinic_id}", "doctor:{doctor_id}"),
    )
    async def load(
        self, clinic_id: UUID, doctor_id: UUID, start: datetime, end: datetime, location_id: UUID | None
    ) -> Availability | None:
        """Every free slot of the range, past ones included (the caller drops those, so that a
        cached value does not age); None when the doctor is not an active doctor here."""
        clinic = await self._clinics.get(clinic_id)
        doctor = await self._doctors.get(clinic_id, doctor_id)
        if clinic is None or doctor is None or not doctor.active:
            return None
        span = Interval(start, end)
        time_off = await self._time_off.overlapping(clinic_id, doctor_id, span)
        busy = await self._appointments.busy(clinic_id, doctor_id, span, now=self._clock.now())
        slots = free_slots(
            doctor.schedule(time_off),
            ZoneInfo(clinic.time_zone),
            span,
            busy,
            now=start,
            location_id=location_id,
        )
        return Availability(clinic.time_zone, tuple(slots))
