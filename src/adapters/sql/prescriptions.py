"""PrescriptionRepository over SQLAlchemy: rows only inserted, content sealed with FieldCipher."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from adapters.sql.errors import translated
from adapters.sql.prescription_records import PrescriptionRow
from adapters.sql.values import as_optional_uuid, as_uuid
from application.ports.crypto import FieldCipher
from application.ports.prescriptions import ContentUnreadable, PrescriptionRepository, StoredVersion
from domain.errors import PrescriptionSuperseded, ValidationFailed
from domain.prescriptions import Medication, Prescription, PrescriptionContent

# How each driver names the (clinic, lineage, version) rule when it is broken.
_LINEAGE_RULE = (
    "uq_prescriptions_clinic_id_lineage_id_version",
    "prescriptions.clinic_id, prescriptions.lineage_id, prescriptions.version",
)


def _context(clinic_id: UUID, prescription_id: UUID) -> bytes:
    return f"prescriptions.content:{clinic_id}:{prescription_id}".encode()


def seal_content(content: PrescriptionContent) -> bytes:
    document = {
        "medications": [m.canonical() for m in content.medications],
        "notes": content.notes,
        "salt": content.salt,
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _open_content(plain: bytes) -> PrescriptionContent:
    document = json.loads(plain)
    return PrescriptionContent(
        medications=tuple(Medication(**m) for m in document["medications"]),
        notes=document["notes"],
        salt=document["salt"],
    )


class SqlPrescriptionRepository(PrescriptionRepository):
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add(self, prescription: Prescription) -> None:
        p = prescription
        sealed = self._cipher.encrypt(seal_content(p.content), context=_context(p.clinic_id, p.id))
        try:
            async with translated(self._session):
                await self._session.execute(
                    insert(PrescriptionRow).values(
                        clinic_id=p.clinic_id,
                        id=p.id,
                        patient_id=p.patient_id,
                        prescriber_id=p.prescriber_id,
                        appointment_id=p.appointment_id,
                        lineage_id=p.lineage_id,
                        version=p.version,
                        previous_id=p.previous_id,
                        previous_hash=p.previous_hash,
                        content_sealed=sealed,
                        issued_at=p.issued_at,
                        content_hash=p.content_hash,
                    )
                )
        except IntegrityError as exc:
            if any(rule in str(exc.orig) for rule in _LINEAGE_RULE):
                raise PrescriptionSuperseded() from exc
            raise

    async def get(self, clinic_id: UUID, prescription_id: UUID) -> Prescription | None:
        table = PrescriptionRow.__table__
        rows = await self._select(and_(table.c.clinic_id == clinic_id, table.c.id == prescription_id), 1)
        return self._version(rows[0]) if rows else None

    async def list(
        self, clinic_id: UUID, patient_id: UUID, *, after: UUID | None, limit: int
    ) -> Sequence[Prescription]:
        table = PrescriptionRow.__table__
        where = and_(table.c.clinic_id == clinic_id, table.c.patient_id == patient_id)
        if after is not None:
            where = and_(where, table.c.id > after)
        return [self._version(row) for row in await self._select(where, limit)]

    async def _select(self, where: ColumnElement[bool], limit: int) -> Sequence[Any]:
        table = PrescriptionRow.__table__
        successor = aliased(PrescriptionRow)
        statement = (
            select(table, successor.id.label("superseded_by"))
            .outerjoin(
                successor,
                and_(
                    successor.clinic_id == table.c.clinic_id,
                    successor.lineage_id == table.c.lineage_id,
                    successor.version == table.c.version + 1,
                ),
            )
            .where(where)
            .order_by(table.c.id)
            .limit(limit)
        )
        async with translated(self._session):
            return (await self._session.execute(statement)).all()

    def _version(self, row: Any) -> Prescription:
        clinic_id, prescription_id = as_uuid(row.clinic_id), as_uuid(row.id)
        try:
            plain = self._cipher.decrypt(
                bytes(row.content_sealed), context=_context(clinic_id, prescription_id)
            )
            content = _open_content(plain)
        except (ValueError, KeyError, TypeError, ValidationFailed) as exc:
            stored = StoredVersion(
                id=prescription_id,
                clinic_id=clinic_id,
                patient_id=as_uuid(row.patient_id),
                content_hash=row.content_hash,
            )
            raise ContentUnreadable(stored) from exc
        return Prescription(
            id=prescription_id,
            clinic_id=clinic_id,
            patient_id=as_uuid(row.patient_id),
            prescriber_id=as_uuid(row.prescriber_id),
            appointment_id=as_optional_uuid(row.appointment_id),
            lineage_id=as_uuid(row.lineage_id),
            version=row.version,
            previous_id=as_optional_uuid(row.previous_id),
            previous_hash=row.previous_hash,
            content=content,
            issued_at=row.issued_at,
            content_hash=row.content_hash,
            superseded_by=as_optional_uuid(row.superseded_by),
        )
