"""Consent history and break-glass grants over the in-memory store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from adapters.memory.uow import InMemoryUnitOfWork
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from domain.consent import ConsentRecord, EmergencyGrant


class InMemoryConsentRepository(ConsentRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, record: ConsentRecord) -> None:
        self._uow.stage("consents", (record.clinic_id, record.id), record)

    async def history(self, clinic_id: UUID, patient_id: UUID) -> Sequence[ConsentRecord]:
        rows = [
            r for r in self._uow.rows("consents") if r.clinic_id == clinic_id and r.patient_id == patient_id
        ]
        return sorted(rows, key=lambda r: (r.recorded_at, r.id))


class InMemoryEmergencyGrantRepository(EmergencyGrantRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, grant: EmergencyGrant) -> None:
        self._uow.stage("emergency_grants", (grant.clinic_id, grant.id), grant)

    async def active(
        self, clinic_id: UUID, patient_id: UUID, user_id: UUID, now: datetime
    ) -> EmergencyGrant | None:
        live = [
            g
            for g in self._uow.rows("emergency_grants")
            if (g.clinic_id, g.patient_id, g.granted_to) == (clinic_id, patient_id, user_id)
            and g.is_active(now)
        ]
        return max(live, key=lambda g: g.expires_at, default=None)

    async def for_patient(self, clinic_id: UUID, patient_id: UUID) -> Sequence[EmergencyGrant]:
        rows = [
            g
            for g in self._uow.rows("emergency_grants")
            if g.clinic_id == clinic_id and g.patient_id == patient_id
        ]
        return sorted(rows, key=lambda g: (g.granted_at, g.id))
