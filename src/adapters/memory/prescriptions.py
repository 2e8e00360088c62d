"""PrescriptionRepository over the in-memory store."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Sequence
from uuid import UUID

from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from application.ports.prescriptions import PrescriptionRepository
from domain.errors import PrescriptionSuperseded
from domain.prescriptions import Prescription

TABLE = "prescriptions"


class InMemoryPrescriptionRepository(PrescriptionRepository):
    """Versions keyed by (clinic, id); the (clinic, lineage, version) rule is checked when staged
    and again on commit, so of two units correcting one version only the first to commit wins."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, prescription: Prescription) -> None:
        slot = (prescription.clinic_id, prescription.lineage_id, prescription.version)

        def free(store: InMemoryStore) -> None:
            if any((p.clinic_id, p.lineage_id, p.version) == slot for p in store.table(TABLE).values()):
                raise PrescriptionSuperseded()

        stored = dataclasses.replace(prescription, superseded_by=None)
        self._uow.stage(TABLE, (prescription.clinic_id, prescription.id), stored, check=free)

    async def get(self, clinic_id: UUID, prescription_id: UUID) -> Prescription | None:
        found: Prescription | None = self._uow.read(TABLE, (clinic_id, prescription_id))
        return None if found is None else self._linked(found, list(self._uow.rows(TABLE)))

    async def list(
        self, clinic_id: UUID, patient_id: UUID, *, after: UUID | None, limit: int
    ) -> Sequence[Prescription]:
        rows = list(self._uow.rows(TABLE))
        mine = sorted(
            (
                p
                for p in rows
                if p.clinic_id == clinic_id and p.patient_id == patient_id and (after is None or p.id > after)
            ),
            key=lambda p: p.id,
        )
        return [self._linked(p, rows) for p in mine[:limit]]

    @staticmethod
    def _linked(version: Prescription, rows: builtins.list[Prescription]) -> Prescription:
        successor = next(
            (
                p.id
                for p in rows
                if (p.clinic_id, p.lineage_id, p.version)
                == (version.clinic_id, version.lineage_id, version.version + 1)
            ),
            None,
        )
        return dataclasses.replace(version, superseded_by=successor)
