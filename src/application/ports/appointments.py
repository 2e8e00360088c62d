"""Appointments, clinic-owned.

Contract for every adapter (checked by tests/contract):
- ``get`` returns None outside the given clinic.
- ``add`` and ``update`` raise APPOINTMENT_CONFLICT (at the latest on commit) when the stored
  appointment would overlap another *active* appointment of the same doctor, or of the same
  patient, whatever the concurrency: on PostgreSQL an exclusion constraint decides, on SQLite the
  check runs inside the single writer's transaction. A hold whose expiry has passed is not active.
- ``update`` raises VERSION_CONFLICT when the stored version is not ``expected_version``.
- ``busy`` returns the intervals of the doctor's active appointments overlapping ``span``.
- Lists are keyset-paginated by id and filtered as the AppointmentFilter says.
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
        self, clinic_id: UUID, where: AppointmentFilter, *, after: UUID | None, limit: int
    ) -> Sequence[Appointment]: ...
