"""Patients' records, clinic-owned PHI.

Contract for every adapter (checked by tests/contract/test_contract_patients.py):
- Every method is scoped to one clinic; nothing of another clinic is ever returned.
- A deleted record (``deleted_at`` set) is invisible to ``get``, ``get_many`` and every search,
  and gives up its phone, email and name tokens (another record may take them); it is kept
  until ``purge_deleted_before`` removes it.
- Phone and email are unique among the clinic's live records: ``add`` and ``update`` raise
  PatientAlreadyExists for a duplicate (or for a second record with the same id), at the
  latest on commit.
- Stored PHI is sealed; phone, email and name prefixes are searchable through keyed blind
  indexes only.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.contact import Email, PhoneNumber
from domain.patients import Patient


class PatientRepository(Protocol):
    @abstractmethod
    async def get(self, clinic_id: UUID, patient_id: UUID) -> Patient | None:
        """The live record; None when absent or deleted."""
        ...

    @abstractmethod
    async def exists(self, clinic_id: UUID, patient_id: UUID) -> bool:
        """Whether a record with this id is stored, deleted ones included."""
        ...

    @abstractmethod
    async def get_many(self, clinic_id: UUID, patient_ids: Collection[UUID]) -> Sequence[Patient]:
        """The live records among ``patient_ids``, ordered by id."""
        ...

    @abstractmethod
    async def add(self, patient: Patient) -> None:
        """Stage a new record; PatientAlreadyExists as described above."""
        ...

    @abstractmethod
    async def update(self, patient: Patient, *, expected_version: int) -> None:
        """Store ``patient`` (its version already bumped) if the stored live record is still at
        ``expected_version``; VersionConflict otherwise; PatientAlreadyExists for a phone or
        email another live record of the clinic holds."""
        ...

    @abstractmethod
    async def soft_delete(self, patient: Patient, *, expected_version: int) -> None:
        """Mark the record deleted (``patient.deleted_at``/``deleted_by`` set, version bumped)
        if it is still live at ``expected_version``; VersionConflict otherwise. Its search
        indexes are dropped; the sealed record is kept."""
        ...

    @abstractmethod
    async def find_by_phone(self, clinic_id: UUID, phone: PhoneNumber) -> Patient | None: ...

    @abstractmethod
    async def find_by_email(self, clinic_id: UUID, email: Email) -> Patient | None:
        """Case-insensitive on the whole address."""
        ...

    @abstractmethod
    async def find_by_name_token(
        self, clinic_id: UUID, token: str, *, after: UUID | None, limit: int
    ) -> Sequence[UUID]:
        """Ids of live records one of whose name words starts with ``token`` (a normalised
        prefix of 3 to 8 characters, see domain.name_search), above ``after``, ordered by id,
        at most ``limit``. Candidates only: the caller filters them on the decrypted names."""
        ...

    @abstractmethod
    async def purge_deleted_before(self, cutoff: datetime, *, limit: int) -> Sequence[tuple[UUID, UUID]]:
        """Remove for good up to ``limit`` records deleted before ``cutoff``, in every clinic
        the caller's scope sees; returns their (clinic id, patient id)."""
        ...
