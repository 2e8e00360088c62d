"""DoctorRepository and TimeOffRepository over the in-memory store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from uuid import UUID

from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from application.ports.doctors import DoctorRepository, TimeOffRepository
from domain.doctors import Doctor, TimeOff
from domain.errors import DoctorAlreadyExists, VersionConflict
from domain.scheduling import Interval

DOCTORS = "doctors"
TIME_OFF = "doctor_time_off"


class InMemoryDoctorRepository(DoctorRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def get(self, clinic_id: UUID, doctor_id: UUID) -> Doctor | None:
        doctor: Doctor | None = self._uow.read(DOCTORS, (clinic_id, doctor_id))
        return doctor

    async def add(self, doctor: Doctor) -> None:
        key = (doctor.clinic_id, doctor.id)

        def absent(store: InMemoryStore) -> None:
            if key in store.table(DOCTORS):
                raise DoctorAlreadyExists()

        if self._uow.read(DOCTORS, key) is not None:
            raise DoctorAlreadyExists()
        self._uow.stage(DOCTORS, key, doctor, check=absent)

    async def update(self, doctor: Doctor, *, expected_version: int) -> None:
        key = (doctor.clinic_id, doctor.id)

        def same_version(store: InMemoryStore) -> None:
            stored = store.table(DOCTORS).get(key)
            if stored is None or stored.version != expected_version:
                raise VersionConflict()

        self._uow.stage(DOCTORS, key, doctor, check=same_version)

    async def list(self, clinic_id: UUID, *, after: UUID | None, limit: int) -> Sequence[Doctor]:
        rows = sorted(
            (
                d
                for d in self._uow.rows(DOCTORS)
                if d.clinic_id == clinic_id and (after is None or d.id > after)
            ),
            key=lambda d: d.id,
        )
        return rows[:limit]


class InMemoryTimeOffRepository(TimeOffRepository):
    """A removed period is staged as a tombstone (None): the store has no deletes of its own."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, time_off: TimeOff) -> None:
        self._uow.stage(TIME_OFF, (time_off.clinic_id, time_off.id), time_off)

    async def remove(self, clinic_id: UUID, doctor_id: UUID, time_off_id: UUID) -> bool:
        key = (clinic_id, time_off_id)
        period: TimeOff | None = self._uow.read(TIME_OFF, key)
        if period is None or period.doctor_id != doctor_id:
            return False
        self._uow.stage(TIME_OFF, key, None)
        return True

    async def overlapping(self, clinic_id: UUID, doctor_id: UUID, span: Interval) -> Sequence[TimeOff]:
        found = (
            p
            for p in self._periods()
            if p.clinic_id == clinic_id and p.doctor_id == doctor_id and p.interval.overlaps(span)
        )
        return sorted(found, key=lambda p: (p.interval.start, p.id))

    def _periods(self) -> Iterator[TimeOff]:
        return (p for p in self._uow.rows(TIME_OFF) if p is not None)
