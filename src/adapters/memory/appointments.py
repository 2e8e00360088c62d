"""AppointmentRepository over the in-memory store.

No-overlap is checked when a row is staged and again on commit, against the committed state:
the memory unit of work commits synchronously, so of two units taking one slot the second to
commit gets APPOINTMENT_CONFLICT, as on SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from application.ports.appointments import AppointmentFilter, AppointmentKey, AppointmentRepository
from domain.appointments import Appointment
from domain.errors import AppointmentConflict, VersionConflict
from domain.scheduling import Interval

TABLE = "appointments"


def _clashes(candidate: Appointment, others: Iterable[Appointment], now: datetime) -> bool:
    return any(
        other.id != candidate.id
        and other.clinic_id == candidate.clinic_id
        and (other.doctor_id == candidate.doctor_id or other.patient_id == candidate.patient_id)
        and other.is_active(now)
        and other.interval.overlaps(candidate.interval)
        for other in others
    )


class InMemoryAppointmentRepository(AppointmentRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def get(self, clinic_id: UUID, appointment_id: UUID) -> Appointment | None:
        found: Appointment | None = self._uow.read(TABLE, (clinic_id, appointment_id))
        return found

    def _stage(self, appointment: Appointment, now: datetime, expected_version: int | None) -> None:
        key = (appointment.clinic_id, appointment.id)

        def check(store: InMemoryStore) -> None:
            stored = store.table(TABLE).get(key)
            if expected_version is not None and (stored is None or stored.version != expected_version):
                raise VersionConflict()
            if appointment.is_active(now) and _clashes(appointment, store.table(TABLE).values(), now):
                raise AppointmentConflict()

        if appointment.is_active(now) and _clashes(appointment, self._uow.rows(TABLE), now):
            raise AppointmentConflict()
        self._uow.stage(TABLE, key, appointment, check=check)

    async def add(self, appointment: Appointment, *, now: datetime) -> None:
        self._stage(appointment, now, None)

    async def update(self, appointment: Appointment, *, expected_version: int, now: datetime) -> None:
        self._stage(appointment, now, expected_version)

    async def busy(
        self, clinic_id: UUID, doctor_id: UUID, span: Interval, *, now: datetime
    ) -> Sequence[Interval]:
        return sorted(
            (
                a.interval
                for a in self._uow.rows(TABLE)
                if a.clinic_id == clinic_id
                and a.doctor_id == doctor_id
                and a.is_active(now)
                and a.interval.overlaps(span)
            ),
            key=lambda i: i.start,
        )

    async def patient_busy(
        self, clinic_id: UUID, patient_id: UUID, span: Interval, *, now: datetime
    ) -> Sequence[Interval]:
        return sorted(
            (
                a.interval
                for a in self._uow.rows(TABLE)
                if a.clinic_id == clinic_id
                and a.patient_id == patient_id
                and a.is_active(now)
                and a.interval.overlaps(span)
            ),
            key=lambda i: i.start,
        )

    async def list(
        self, clinic_id: UUID, where: AppointmentFilter, *, after: AppointmentKey | None, limit: int
    ) -> Sequence[Appointment]:
        def wanted(a: Appointment) -> bool:
            return (
                a.clinic_id == clinic_id
                and (after is None or (a.starts_at, a.id) > (after.starts_at, after.id))
                and (where.doctor_id is None or a.doctor_id == where.doctor_id)
                and (where.patient_id is None or a.patient_id == where.patient_id)
                and (where.location_ids is None or a.location_id in where.location_ids)
                and (where.status is None or a.status is where.status)
                and (where.starts_from is None or a.starts_at >= where.starts_from)
                and (where.starts_before is None or a.starts_at < where.starts_before)
            )

        return sorted(filter(wanted, self._uow.rows(TABLE)), key=lambda a: (a.starts_at, a.id))[:limit]
