"""Prescription versions, clinic-owned and append-only.

Contract for every adapter (checked by tests/contract/test_contract_prescriptions.py):
- ``get`` and ``list`` return None / nothing outside the given clinic.
- A returned version has ``superseded_by`` set to the id of the next version of its lineage,
  when one exists. Stored versions are never updated or deleted.
- ``add`` raises PrescriptionSuperseded (at the latest on commit) when the clinic already holds
  a version with that lineage and version number, whatever the concurrency: two corrections of
  one version give one new version and one PRESCRIPTION_SUPERSEDED.
- Medications and notes are PHI: adapters that store them outside the process seal them
  (FieldCipher, context bound to the clinic and the version's id). A stored version whose
  sealed content no longer opens (tampered, moved to another row) raises ContentUnreadable.
- ``list`` is keyset-paginated by id (ascending), one patient at a time, every version.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.prescriptions import Prescription


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredVersion:
    """What is known of a version whose content cannot be read: enough to decide who may ask."""

    id: UUID
    clinic_id: UUID
    patient_id: UUID
    content_hash: str


class ContentUnreadable(Exception):
    """A stored version's sealed content does not open: the store was tampered with. Not a
    DomainError: reading it is an internal failure; verifying it says ``valid: false``."""

    def __init__(self, stored: StoredVersion) -> None:
        super().__init__(f"sealed content of prescription {stored.id} does not open")
        self.stored = stored


class PrescriptionRepository(Protocol):
    @abstractmethod
    async def add(self, prescription: Prescription) -> None:
        """Stage a new version (its ``superseded_by`` is ignored). Raises PrescriptionSuperseded
        as the module docstring says."""
        ...

    @abstractmethod
    async def get(self, clinic_id: UUID, prescription_id: UUID) -> Prescription | None:
        """The version, or None. Raises ContentUnreadable as the module docstring says."""
        ...

    @abstractmethod
    async def list(
        self, clinic_id: UUID, patient_id: UUID, *, after: UUID | None, limit: int
    ) -> Sequence[Prescription]:
        """Up to ``limit`` versions of the patient with ids after ``after``, by id."""
        ...
