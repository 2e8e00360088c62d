"""PatientRepository over SQLAlchemy: one sealed document per record, blind indexes to find it."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.errors import translated
from adapters.sql.patient_records import PatientNameTokenRow, PatientRow
from adapters.sql.values import as_optional_uuid, as_uuid
from application.ports.crypto import BlindIndexer, FieldCipher
from application.ports.patients import PatientRepository
from domain.contact import Email, PhoneNumber
from domain.errors import PatientAlreadyExists, VersionConflict
from domain.name_search import name_tokens
from domain.patients import EmergencyContact, Patient

PATIENTS = cast(Table, PatientRow.__table__)
TOKENS = cast(Table, PatientNameTokenRow.__table__)
# The constraints a duplicate record breaks, as PostgreSQL and SQLite name them.
_DUPLICATE_MARKS = (
    "pk_patients",
    "uq_patients_clinic_id_phone_index",
    "uq_patients_clinic_id_email_index",
    "patients.clinic_id, patients.id",
    "patients.clinic_id, patients.phone_index",
    "patients.clinic_id, patients.email_index",
)


class PatientCodec:
    """Seals a record's PHI as one JSON document bound to its clinic and id (the AEAD context),
    so a ciphertext copied into another row does not decrypt; and makes its blind indexes."""

    def __init__(self, cipher: FieldCipher, indexer: BlindIndexer) -> None:
        self._cipher = cipher
        self._indexer = indexer

    def phone_index(self, phone: PhoneNumber) -> str:
        return self._indexer.index(phone.value, purpose="patients.phone")

    def email_index(self, email: Email) -> str:
        return self._indexer.index(email.lookup_key, purpose="patients.email")

    def token_index(self, token: str) -> str:
        return self._indexer.index(token, purpose="patients.name_prefix")

    def row(self, patient: Patient) -> dict[str, Any]:
        live = not patient.is_deleted
        return {
            "clinic_id": patient.clinic_id,
            "id": patient.id,
            "sealed": self._seal(patient),
            "phone_index": self.phone_index(patient.phone) if patient.phone and live else None,
            "email_index": self.email_index(patient.email) if patient.email and live else None,
            "version": patient.version,
            "created_at": patient.created_at,
            "created_by": patient.created_by,
            "updated_at": patient.updated_at,
            "updated_by": patient.updated_by,
            "deleted_at": patient.deleted_at,
            "deleted_by": patient.deleted_by,
        }

    def patient(self, row: Any) -> Patient:
        clinic_id, patient_id = as_uuid(row.clinic_id), as_uuid(row.id)
        plain = self._cipher.decrypt(bytes(row.sealed), context=_context(clinic_id, patient_id))
        doc = json.loads(plain)
        contact = doc.get("emergencyContact")
        return Patient(
            id=patient_id,
            clinic_id=clinic_id,
            name=doc["name"],
            date_of_birth=date.fromisoformat(doc["dateOfBirth"]),
            phone=PhoneNumber(doc["phone"]) if doc.get("phone") else None,
            email=Email(doc["email"]) if doc.get("email") else None,
            address=doc.get("address"),
            emergency_contact=EmergencyContact(
                name=contact["name"],
                phone=PhoneNumber(contact["phone"]),
                relationship=contact.get("relationship"),
            )
            if contact
            else None,
            allergies=tuple(doc.get("allergies") or ()),
            notes=doc.get("notes"),
            version=row.version,
            created_at=row.created_at,
            created_by=as_optional_uuid(row.created_by),
            updated_at=row.updated_at,
            updated_by=as_optional_uuid(row.updated_by),
            deleted_at=row.deleted_at,
            deleted_by=as_optional_uuid(row.deleted_by),
        )

    def _seal(self, patient: Patient) -> bytes:
        contact = patient.emergency_contact
        doc = {
            "name": patient.name,
            "dateOfBirth": patient.date_of_birth.isoformat(),
            "phone": patient.phone.value if patient.phone else None,
            "email": patient.email.value if patient.email else None,
            "address": patient.address,
            "emergencyContact": {
                "name": contact.name,
                "phone": contact.phone.value,
                "relationship": contact.relationship,
            }
            if contact
            else None,
            "allergies": list(patient.allergies),
            "notes": patient.notes,
        }
        plain = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        return self._cipher.encrypt(plain, context=_context(patient.clinic_id, patient.id))


def _context(clinic_id: UUID, patient_id: UUID) -> bytes:
    return f"patients.sealed:{clinic_id}:{patient_id}".encode()


def _is_duplicate(exc: IntegrityError) -> bool:
    message = str(exc.orig)
    return any(mark in message for mark in _DUPLICATE_MARKS)


class SqlPatientRepository(PatientRepository):
    """PatientRepository over SQLAlchemy; every query is scoped by clinic_id."""

    def __init__(self, session: AsyncSession, codec: PatientCodec) -> None:
        self._session = session
        self._codec = codec

    async def _rows(self, stmt: Any) -> Sequence[Any]:
        async with translated(self._session):
            return (await self._session.execute(stmt)).all()

    async def _write(self, stmt: Any) -> int:
        try:
            async with translated(self._session):
                result = cast("CursorResult[Any]", await self._session.execute(stmt))
        except IntegrityError as exc:
            if _is_duplicate(exc):
                raise PatientAlreadyExists() from exc
            raise
        return result.rowcount

    async def get(self, clinic_id: UUID, patient_id: UUID) -> Patient | None:
        stmt = select(PATIENTS).where(
            PATIENTS.c.clinic_id == clinic_id, PATIENTS.c.id == patient_id, PATIENTS.c.deleted_at.is_(None)
        )
        rows = await self._rows(stmt)
        return self._codec.patient(rows[0]) if rows else None

    async def exists(self, clinic_id: UUID, patient_id: UUID) -> bool:
        stmt = select(PATIENTS.c.id).where(PATIENTS.c.clinic_id == clinic_id, PATIENTS.c.id == patient_id)
        return bool(await self._rows(stmt))

    async def get_many(self, clinic_id: UUID, patient_ids: Collection[UUID]) -> Sequence[Patient]:
        if not patient_ids:
            return []
        stmt = (
            select(PATIENTS)
            .where(
                PATIENTS.c.clinic_id == clinic_id,
                PATIENTS.c.id.in_(list(patient_ids)),
                PATIENTS.c.deleted_at.is_(None),
            )
            .order_by(PATIENTS.c.id)
        )
        return [self._codec.patient(row) for row in await self._rows(stmt)]

    async def add(self, patient: Patient) -> None:
        await self._write(insert(PATIENTS).values(self._codec.row(patient)))
        await self._index_name(patient)

    async def update(self, patient: Patient, *, expected_version: int) -> None:
        await self._replace(patient, expected_version)
        await self._drop_tokens(patient)
        await self._index_name(patient)

    async def soft_delete(self, patient: Patient, *, expected_version: int) -> None:
        await self._replace(patient, expected_version)
        await self._drop_tokens(patient)

    async def _replace(self, patient: Patient, expected_version: int) -> None:
        changes = {k: v for k, v in self._codec.row(patient).items() if k not in ("clinic_id", "id")}
        stmt = (
            update(PATIENTS)
            .where(
                PATIENTS.c.clinic_id == patient.clinic_id,
                PATIENTS.c.id == patient.id,
                PATIENTS.c.version == expected_version,
                PATIENTS.c.deleted_at.is_(None),
            )
            .values(changes)
        )
        if await self._write(stmt) != 1:
            raise VersionConflict()

    async def _index_name(self, patient: Patient) -> None:
        tokens = sorted({self._codec.token_index(t) for t in name_tokens(patient.name)})
        if tokens:
            rows = [{"clinic_id": patient.clinic_id, "token": t, "patient_id": patient.id} for t in tokens]
            await self._write(insert(TOKENS).values(rows))

    async def _drop_tokens(self, patient: Patient) -> None:
        await self._write(
            delete(TOKENS).where(TOKENS.c.clinic_id == patient.clinic_id, TOKENS.c.patient_id == patient.id)
        )

    async def find_by_phone(self, clinic_id: UUID, phone: PhoneNumber) -> Patient | None:
        return await self._find(clinic_id, PATIENTS.c.phone_index == self._codec.phone_index(phone))

    async def find_by_email(self, clinic_id: UUID, email: Email) -> Patient | None:
        return await self._find(clinic_id, PATIENTS.c.email_index == self._codec.email_index(email))

    async def _find(self, clinic_id: UUID, condition: Any) -> Patient | None:
        stmt = select(PATIENTS).where(
            PATIENTS.c.clinic_id == clinic_id, condition, PATIENTS.c.deleted_at.is_(None)
        )
        rows = await self._rows(stmt.limit(1))
        return self._codec.patient(rows[0]) if rows else None

    async def find_by_name_token(
        self, clinic_id: UUID, token: str, *, after: UUID | None, limit: int
    ) -> Sequence[UUID]:
        stmt = (
            select(TOKENS.c.patient_id)
            .where(TOKENS.c.clinic_id == clinic_id, TOKENS.c.token == self._codec.token_index(token))
            .order_by(TOKENS.c.patient_id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(TOKENS.c.patient_id > after)
        return [as_uuid(row.patient_id) for row in await self._rows(stmt)]

    async def purge_deleted_before(self, cutoff: datetime, *, limit: int) -> Sequence[tuple[UUID, UUID]]:
        stmt = (
            select(PATIENTS.c.clinic_id, PATIENTS.c.id)
            .where(PATIENTS.c.deleted_at.is_not(None), PATIENTS.c.deleted_at < cutoff)
            .order_by(PATIENTS.c.clinic_id, PATIENTS.c.id)
            .limit(limit)
        )
        due = [(as_uuid(r.clinic_id), as_uuid(r.id)) for r in await self._rows(stmt)]
        for clinic_id, patient_id in due:
            await self._write(
                delete(TOKENS).where(TOKENS.c.clinic_id == clinic_id, TOKENS.c.patient_id == patient_id)
            )
            await self._write(
                delete(PATIENTS).where(
                    PATIENTS.c.clinic_id == clinic_id,
                    PATIENTS.c.id == patient_id,
                    PATIENTS.c.deleted_at.is_not(None),
                )
            )
        return due
