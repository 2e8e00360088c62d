"""List a clinic's appointments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.appointments.disclosure import AppointmentDisclosure
from application.audit.denials import DeniedAttempts
from application.auditing import denial
from application.pagination import DEFAULT_LIMIT, MAX_LIMIT
from application.ports.appointments import AppointmentFilter, AppointmentKey, AppointmentRepository
from application.ports.repositories import ClinicRepository
from domain.access import PATIENT_POLICY, Action, Actor
from domain.appointments import Appointment, AppointmentStatus
from domain.errors import ClinicAccessDenied, InsufficientPermissions, ValidationFailed
from domain.identity import Role


@dataclass(frozen=True, slots=True, kw_only=True)
class ListAppointmentsQuery:
    """Filters narrow the list; ``starts_from`` is inclusive, ``starts_before`` exclusive.
    ``after`` is the position of the last appointment of the previous page."""

    clinic_id: UUID
    limit: int = DEFAULT_LIMIT
    after: AppointmentKey | None = None
    doctor_id: UUID | None = None
    patient_id: UUID | None = None
    location_id: UUID | None = None
    status: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class AppointmentPage:
    """``next_after`` is the position to continue after, None on the last page."""

    items: Sequence[Appointment]
    time_zone: str
    next_after: AppointmentKey | None


def _aware(value: datetime | None, name: str) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValidationFailed(details={name: "expected a time with a time zone, e.g. 2026-03-01T09:00:00Z"})


def _validate(query: ListAppointmentsQuery) -> AppointmentStatus | None:
    problems: dict[str, str] = {}
    if not 1 <= query.limit <= MAX_LIMIT:
        problems["limit"] = f"expected an integer from 1 to {MAX_LIMIT}"
    status = None
    if query.status is not None:
        try:
            status = AppointmentStatus(query.status.upper())
        except ValueError:
            problems["status"] = "expected one of " + ", ".join(s.value for s in AppointmentStatus)
    if problems:
        raise ValidationFailed(details=problems)
    _aware(query.starts_from, "from")
    _aware(query.starts_before, "to")
    if query.starts_from and query.starts_before and query.starts_before <= query.starts_from:
        raise ValidationFailed(details={"to": "expected a time after from"})
    return status


class ListAppointments:
    """List a clinic's appointments, in time order (starts_at, then id), a page at a time.

    - Doctors and receptionists of the clinic see its appointments, those limited to locations
      only at their locations; a patient sees only their own (their id is the patient filter:
      asking for another patient's finds nothing). Someone outside the clinic:
      CLINIC_ACCESS_DENIED; a clinic admin or a super admin without a clinical role:
      INSUFFICIENT_PERMISSIONS. Refusals are audited (DENIED).
    - Keyset pages: the cost of a page does not grow with how far into the list it is.
    - A list is a schedule: it shows the patient's words (reason) only on the patient's own
      appointments; staff read them one appointment at a time (GetAppointment, under a PHI
      basis). Each appointment listed is audited as a PHI read (see disclosure).
    """

    def __init__(
        self,
        appointments: AppointmentRepository,
        clinics: ClinicRepository,
        disclosure: AppointmentDisclosure,
        denied: DeniedAttempts,
    ) -> None:
        self._appointments = appointments
        self._clinics = clinics
        self._disclosure = disclosure
        self._denied = denied

    async def __call__(self, query: ListAppointmentsQuery, actor: Actor) -> AppointmentPage:
        return await self._denied.guard(lambda: self._list(query, actor))

    async def _list(self, query: ListAppointmentsQuery, actor: Actor) -> AppointmentPage:
        where = self._scope(query, actor, _validate(query))
        clinic = await self._clinics.get(query.clinic_id)
        time_zone = clinic.time_zone if clinic is not None else "UTC"
        if where is None:
            return AppointmentPage(items=(), time_zone=time_zone, next_after=None)
        rows = await self._appointments.list(query.clinic_id, where, after=query.after, limit=query.limit + 1)
        items = rows[: query.limit]
        more = len(rows) > query.limit and bool(items)
        shown = await self._disclosure.disclose(actor, items, schedule=True)
        return AppointmentPage(
            items=shown, time_zone=time_zone, next_after=AppointmentKey.of(items[-1]) if more else None
        )

    @staticmethod
    def _scope(
        query: ListAppointmentsQuery, actor: Actor, status: AppointmentStatus | None
    ) -> AppointmentFilter | None:
        """The filter the caller may see through; None when it can match nothing."""
        held = actor.memberships.get(query.clinic_id)
        action = Action.VIEW_APPOINTMENTS
        if held is None and not actor.is_super_admin:
            raise ClinicAccessDenied(denial=denial(actor, action, query.clinic_id))
        roles, own_allowed = PATIENT_POLICY[action]
        allowed = roles | ({Role.PATIENT} if own_allowed else set())
        if held is None or held.role not in allowed:
            raise InsufficientPermissions(denial=denial(actor, action, query.clinic_id))
        patient_id, locations = query.patient_id, None
        if held.role is Role.PATIENT:
            if patient_id not in (None, actor.user_id):
                return None
            patient_id = actor.user_id
        if held.location_ids:
            locations = held.location_ids
        if query.location_id is not None:
            locations = frozenset({query.location_id}) & (locations or {query.location_id})
            if not locations:
                return None
        return AppointmentFilter(
            doctor_id=query.doctor_id,
            patient_id=patient_id,
            location_ids=locations,
            status=status,
            starts_from=query.starts_from,
            starts_before=query.starts_before,
        )
