"""Doctors' profiles, weekly schedules and time off, clinic-owned.

Contract (checked by tests/contract): as in ``application.ports.repositories``: ``get`` returns
None outside the given clinic, lists are keyset-paginated by id, adapters flush and never commit.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from domain.doctors import Doctor, TimeOff
from domain.scheduling import Interval


class DoctorRepository(Protocol):
    @abstractmethod
    async def get(self, clinic_id: UUID, doctor_id: UUID) -> Doctor | None: ...

    @abstractmethod
    async def add(self, doctor: Doctor) -> None:
        """Raises DoctorAlreadyExists when the clinic already has a profile for this user."""
        ...

    @abstractmethod
    async def update(self, doctor: Doctor, *, expected_version: int) -> None:
        """Store ``doctor`` (profile and weekly schedule) if the stored version is still
        ``expected_version``; raises VersionConflict otherwise."""
        ...

    @abstractmethod
    async def list(self, clinic_id: UUID, *, after: UUID | None, limit: int) -> Sequence[Doctor]: ...


class TimeOffRepository(Protocol):
    @abstractmethod
    async def add(self, time_off: TimeOff) -> None: ...

    @abstractmethod
    async def remove(self, clinic_id: UUID, doctor_id: UUID, time_off_id: UUID) -> bool:
        """Delete one period; False when the doctor of this clinic has no such period."""
        ...

    @abstractmethod
    async def overlapping(self, clinic_id: UUID, doctor_id: UUID, span: Interval) -> Sequence[TimeOff]:
        """The doctor's periods that overlap ``span``, by start."""
        ...
