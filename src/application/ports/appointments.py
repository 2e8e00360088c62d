"""Appointments, clinic-owned.

Contract for every adapter (checked by tests/contract):
- ``get`` returns None outside the given clinic.
- ``add`` and ``update`` raise APPOINTMENT_CONFLICT (at the latest on commit) when the stored
  appointment would overlap another *active* appointment of the same doctor, or of the same
  patient, whatever the concurrency: on PostgreSQL an exclusion constraint decides, on SQLite the
  check runs inside the single writer's transaction. A hold whose expiry has passed is not active.
- ``update`` raises VERSION_CONFLICT when the stored version is not ``expected_version``.
- ``busy`` returns the intervals of the doctor's active appointments overlapping ``span``.
- ``list`` returns the clinic's appointments matching the AppointmentFilter, ordered by
  (starts_at, id) ascending (a day view reads in time order), strictly after the position
  ``after`` (None: from the first), at most ``limit``. The order needs an index led by clinic_id
  whose tail is (starts_at, id) (migration 0011) so that page N costs what page 1 does.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.appointments import Appointment, AppointmentStatus
from domain.scheduling import Interval


@dataclass(frozen=True, slots=True)
class AppointmentKey:
    """A position in an appointment list: its order is (starts_at, id)."""

    starts_at: datetime
    id: UUID

    @classmethod
    def of(cls, appointment: Appointment) -> AppointmentKey:
        return cls(appointment.starts_at, appointment.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppointmentFilter:
    doctor_id: UUID | None = None
    patient_id: UUID | None = None
    location_ids: frozenset[UUID] | None = None  # None: every location
    status: AppointmentStatus | None = None
    starts_from: datetime | None = None  # inclusive
    starts_before: datetime | None = None  # exclusive


class AppointmentRepository(Protocol):
    @abstractmethod
    async def get(self, clinic_id: UUID, appointment_id: UUID) -> Appointment | None: ...

    @abstractmethod
    async def add(self, appointment: Appointment, *, now: datetime) -> None:
        """Raises AppointmentConflict as the module docstring says (``now`` decides which holds
        have lapsed)."""
        ...

    @abstractmethod
    async def update(self, appointment: Appointment, *, expected_version: int, now: datetime) -> None: ...

    @abstractmethod
    async def busy(
        self, clinic_id: UUID, doctor_id: UUID, span: Interval, *, now: datetime
    ) -> Sequence[Interval]: ...

    @abstractmethod
    async def patient_busy(
        self, clinic_id: UUID, patient_id: UUID, span: Interval, *, now: datetime
    ) -> Sequence[Interval]: ...

    @abstractmethod
    async def list(
        self, clinic_id: UUID, where: AppointmentFilter, *, after: AppointmentKey | None, limit: int
    ) -> Sequence[Appointment]:
        """Ordered by (starts_at, id); rows with (starts_at, id) > (after.starts_at, after.id)."""
        ...
