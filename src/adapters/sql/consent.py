"""Consent history and break-glass grants over SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.consent_records import ConsentRow, EmergencyGrantRow
from adapters.sql.errors import translated
from adapters.sql.values import as_optional_uuid, as_uuid
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from application.ports.crypto import FieldCipher
from domain.consent import ConsentRecord, ConsentScope, EmergencyGrant


class SqlConsentRepository(ConsentRepository):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, record: ConsentRecord) -> None:
        async with translated(self._session):
            await self._session.execute(
                insert(ConsentRow).values(
                    clinic_id=record.clinic_id,
                    id=record.id,
                    patient_id=record.patient_id,
                    scope=record.scope.value,
                    recorded_at=record.recorded_at,
                    recorded_by=record.recorded_by,
                    expires_at=record.expires_at,
                    revokes=record.revokes,
                )
            )

    async def history(self, clinic_id: UUID, patient_id: UUID) -> Sequence[ConsentRecord]:
        table = ConsentRow.__table__
        statement = (
            select(table)
            .where(table.c.clinic_id == clinic_id, table.c.patient_id == patient_id)
            .order_by(table.c.recorded_at, table.c.id)
        )
        async with translated(self._session):
            rows = (await self._session.execute(statement)).all()
        return [
            ConsentRecord(
                id=as_uuid(r.id),
                clinic_id=as_uuid(r.clinic_id),
                patient_id=as_uuid(r.patient_id),
                scope=ConsentScope(r.scope),
                recorded_at=r.recorded_at,
                recorded_by=as_uuid(r.recorded_by),
                expires_at=r.expires_at,
                revokes=as_optional_uuid(r.revokes),
            )
            for r in rows
        ]


class SqlEmergencyGrantRepository(EmergencyGrantRepository):
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add(self, grant: EmergencyGrant) -> None:
        sealed = self._cipher.encrypt(
            grant.reason.encode(), context=f"emergency_grants.reason:{grant.id}".encode()
        )
        async with translated(self._session):
            await self._session.execute(
                insert(EmergencyGrantRow).values(
                    clinic_id=grant.clinic_id,
                    id=grant.id,
                    patient_id=grant.patient_id,
                    granted_to=grant.granted_to,
                    reason_sealed=sealed,
                    granted_at=grant.granted_at,
                    expires_at=grant.expires_at,
                )
            )

    async def active(
        self, clinic_id: UUID, patient_id: UUID, user_id: UUID, now: datetime
    ) -> EmergencyGrant | None:
        table = EmergencyGrantRow.__table__
        statement = (
            select(table)
            .where(
                table.c.clinic_id == clinic_id,
                table.c.patient_id == patient_id,
                table.c.granted_to == user_id,
                table.c.granted_at <= now,
                table.c.expires_at > now,
            )
            .order_by(table.c.expires_at.desc())
            .limit(1)
        )
        async with translated(self._session):
            row = (await self._session.execute(statement)).one_or_none()
        return None if row is None else self._grant(row)

    async def for_patient(self, clinic_id: UUID, patient_id: UUID) -> Sequence[EmergencyGrant]:
        table = EmergencyGrantRow.__table__
        statement = (
            select(table)
            .where(table.c.clinic_id == clinic_id, table.c.patient_id == patient_id)
            .order_by(table.c.granted_at, table.c.id)
        )
        async with translated(self._session):
            rows = (await self._session.execute(statement)).all()
        return [self._grant(row) for row in rows]

    def _grant(self, row: Row[Any]) -> EmergencyGrant:
        grant_id = as_uuid(row.id)
        reason = self._cipher.decrypt(
            bytes(row.reason_sealed), context=f"emergency_grants.reason:{grant_id}".encode()
        )
        return EmergencyGrant(
            id=grant_id,
            clinic_id=as_uuid(row.clinic_id),
            patient_id=as_uuid(row.patient_id),
            granted_to=as_uuid(row.granted_to),
            reason=reason.decode(),
            granted_at=row.granted_at,
            expires_at=row.expires_at,
        )
