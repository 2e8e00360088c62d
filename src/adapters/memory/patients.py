"""PatientRepository over the in-memory store (memory profile and unit tests)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from uuid import UUID

from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from application.ports.patients import PatientRepository
from domain.contact import Email, PhoneNumber
from domain.errors import PatientAlreadyExists, VersionConflict
from domain.name_search import name_tokens
from domain.patients import Patient

TABLE = "patients"


def _same_person(a: Patient, b: Patient) -> bool:
    """Whether two live records of one clinic hold the same phone or email."""
    if a.clinic_id != b.clinic_id or a.id == b.id or a.is_deleted or b.is_deleted:
        return False
    same_phone = a.phone is not None and a.phone == b.phone
    same_email = a.email is not None and b.email is not None and a.email.lookup_key == b.email.lookup_key
    return same_phone or same_email


class InMemoryPatientRepository(PatientRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _live(self, clinic_id: UUID) -> Iterator[Patient]:
        return (
            p
            for p in self._uow.rows(TABLE)
            if p is not None and p.clinic_id == clinic_id and not p.is_deleted
        )

    async def get(self, clinic_id: UUID, patient_id: UUID) -> Patient | None:
        patient: Patient | None = self._uow.read(TABLE, (clinic_id, patient_id))
        return None if patient is None or patient.is_deleted else patient

    async def exists(self, clinic_id: UUID, patient_id: UUID) -> bool:
        return self._uow.read(TABLE, (clinic_id, patient_id)) is not None

    async def get_many(self, clinic_id: UUID, patient_ids: Collection[UUID]) -> Sequence[Patient]:
        wanted = set(patient_ids)
        return sorted((p for p in self._live(clinic_id) if p.id in wanted), key=lambda p: p.id)

    async def add(self, patient: Patient) -> None:
        key = (patient.clinic_id, patient.id)

        def unique(store: InMemoryStore) -> None:
            stored = store.table(TABLE)
            if key in stored and stored[key] is not None:
                raise PatientAlreadyExists()
            self._refuse_duplicates(patient, stored.values())

        if self._uow.read(TABLE, key) is not None:
            raise PatientAlreadyExists()
        self._refuse_duplicates(patient, self._uow.rows(TABLE))
        self._uow.stage(TABLE, key, patient, check=unique)

    async def update(self, patient: Patient, *, expected_version: int) -> None:
        self._replace(patient, expected_version, check_duplicates=True)

    async def soft_delete(self, patient: Patient, *, expected_version: int) -> None:
        self._replace(patient, expected_version, check_duplicates=False)

    def _replace(self, patient: Patient, expected_version: int, *, check_duplicates: bool) -> None:
        key = (patient.clinic_id, patient.id)

        def checks(rows: Callable[[], Collection[Patient | None]], current: Patient | None) -> None:
            if current is None or current.is_deleted or current.version != expected_version:
                raise VersionConflict()
            if check_duplicates:
                self._refuse_duplicates(patient, rows())

        checks(lambda: list(self._uow.rows(TABLE)), self._uow.read(TABLE, key))
        self._uow.stage(
            TABLE,
            key,
            patient,
            check=lambda store: checks(
                lambda: list(store.table(TABLE).values()), store.table(TABLE).get(key)
            ),
        )

    @staticmethod
    def _refuse_duplicates(patient: Patient, others: Collection[Patient | None] | Iterator[Patient]) -> None:
        if any(other is not None and _same_person(patient, other) for other in others):
            raise PatientAlreadyExists()

    async def find_by_phone(self, clinic_id: UUID, phone: PhoneNumber) -> Patient | None:
        return next((p for p in self._live(clinic_id) if p.phone == phone), None)

    async def find_by_email(self, clinic_id: UUID, email: Email) -> Patient | None:
        return next(
            (p for p in self._live(clinic_id) if p.email and p.email.lookup_key == email.lookup_key), None
        )

    async def find_by_name_token(
        self, clinic_id: UUID, token: str, *, after: UUID | None, limit: int
    ) -> Sequence[UUID]:
        ids = sorted(
            p.id
            for p in self._live(clinic_id)
            if token in name_tokens(p.name) and (after is None or p.id > after)
        )
        return ids[:limit]

    async def purge_deleted_before(self, cutoff: datetime, *, limit: int) -> Sequence[tuple[UUID, UUID]]:
        due = sorted(
            (p.clinic_id, p.id)
            for p in self._uow.rows(TABLE)
            if p is not None and p.deleted_at is not None and p.deleted_at < cutoff
        )[:limit]
        for key in due:
            self._uow.stage(TABLE, key, None)  # the store keeps no tombstone content
        return due
