"""The registry's repositories over SQLAlchemy (PostgreSQL, SQLite).

Each works inside the unit of work's AsyncSession: it executes and flushes, never commits.
Writes are Core-style INSERT/UPDATE statements, so a uniqueness violation surfaces as the
database's IntegrityError (translated into the domain error) at once; reads refresh whatever
the session already holds (``populate_existing``), so a unit sees what others committed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, TypeVar, cast
from uuid import UUID

from sqlalchemy import CursorResult, Select, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.errors import translated
from adapters.sql.mappers import (
    Row,
    clinic_of,
    clinic_row,
    location_of,
    location_row,
    membership_of,
    membership_row,
)
from adapters.sql.records import Base, ClinicRecord, LocationRecord, MembershipRecord, UserRecord
from adapters.sql.user_codec import UserCodec
from application.ports.repositories import (
    ClinicRepository,
    LocationRepository,
    MembershipRepository,
    UserRepository,
)
from domain.clinics import Clinic, ClinicLocation
from domain.contact import Email, PhoneNumber
from domain.errors import VersionConflict
from domain.identity import Membership, User

R = TypeVar("R", bound=Base)


class _SqlRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _all(self, stmt: Select[R]) -> Sequence[R]:
        async with translated(self._session):
            result = await self._session.scalars(stmt.execution_options(populate_existing=True))
            return result.all()

    async def _first(self, stmt: Select[R]) -> R | None:
        rows = await self._all(stmt.limit(1))
        return rows[0] if rows else None

    async def _insert(self, record_type: type[Base], row: Row) -> None:
        async with translated(self._session):
            await self._session.execute(insert(record_type).values(row))


class SqlClinicRepository(_SqlRepository, ClinicRepository):
    """ClinicRepository over SQLAlchemy."""

    async def get(self, clinic_id: UUID) -> Clinic | None:
        record = await self._first(select(ClinicRecord).where(ClinicRecord.id == clinic_id))
        return clinic_of(record) if record else None

    async def add(self, clinic: Clinic) -> None:
        await self._insert(ClinicRecord, clinic_row(clinic))

    async def update(self, clinic: Clinic, *, expected_version: int) -> None:
        changes = {k: v for k, v in clinic_row(clinic).items() if k not in ("id", "created_at")}
        stmt = (
            update(ClinicRecord)
            .where(ClinicRecord.id == clinic.id, ClinicRecord.version == expected_version)
            .values(changes)
            .execution_options(synchronize_session=False)
        )
        async with translated(self._session):
            result = cast("CursorResult[Any]", await self._session.execute(stmt))
        if result.rowcount != 1:
            raise VersionConflict()

    async def list(
        self, *, among: Collection[UUID] | None, after: UUID | None, limit: int
    ) -> Sequence[Clinic]:
        stmt = select(ClinicRecord).order_by(ClinicRecord.id).limit(limit)
        if among is not None:
            stmt = stmt.where(ClinicRecord.id.in_(list(among)))
        if after is not None:
            stmt = stmt.where(ClinicRecord.id > after)
        return [clinic_of(record) for record in await self._all(stmt)]


class SqlLocationRepository(_SqlRepository, LocationRepository):
    """LocationRepository over SQLAlchemy; every query is scoped by clinic_id."""

    async def get(self, clinic_id: UUID, location_id: UUID) -> ClinicLocation | None:
        record = await self._first(
            select(LocationRecord).where(
                LocationRecord.clinic_id == clinic_id, LocationRecord.id == location_id
            )
        )
        return location_of(record) if record else None

    async def add(self, location: ClinicLocation) -> None:
        await self._insert(LocationRecord, location_row(location))

    async def list(self, clinic_id: UUID, *, after: UUID | None, limit: int) -> Sequence[ClinicLocation]:
        stmt = (
            select(LocationRecord)
            .where(LocationRecord.clinic_id == clinic_id)
            .order_by(LocationRecord.id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(LocationRecord.id > after)
        return [location_of(record) for record in await self._all(stmt)]

    async def existing_ids(self, clinic_id: UUID, location_ids: Collection[UUID]) -> frozenset[UUID]:
        if not location_ids:
            return frozenset()
        stmt = select(LocationRecord).where(
            LocationRecord.clinic_id == clinic_id, LocationRecord.id.in_(list(location_ids))
        )
        return frozenset(location_of(record).id for record in await self._all(stmt))


class SqlUserRepository(_SqlRepository, UserRepository):
    """UserRepository over SQLAlchemy; personal fields are sealed and looked up by blind index."""

    def __init__(self, session: AsyncSession, codec: UserCodec) -> None:
        super().__init__(session)
        self._codec = codec

    async def get(self, user_id: UUID) -> User | None:
        record = await self._first(select(UserRecord).where(UserRecord.id == user_id))
        return self._codec.user(record) if record else None

    async def get_by_email(self, email: Email) -> User | None:
        index = self._codec.email_index(email)
        record = await self._first(select(UserRecord).where(UserRecord.email_index == index))
        return self._codec.user(record) if record else None

    async def get_by_phone(self, phone: PhoneNumber) -> User | None:
        index = self._codec.phone_index(phone)
        record = await self._first(select(UserRecord).where(UserRecord.phone_index == index))
        return self._codec.user(record) if record else None

    async def add(self, user: User) -> None:
        await self._insert(UserRecord, self._codec.row(user))

    async def any_exist(self) -> bool:
        async with translated(self._session):
            return bool(await self._session.scalar(select(exists().select_from(UserRecord))))


class SqlMembershipRepository(_SqlRepository, MembershipRepository):
    """MembershipRepository over SQLAlchemy; one row per (clinic_id, user_id)."""

    async def get(self, clinic_id: UUID, user_id: UUID) -> Membership | None:
        record = await self._first(
            select(MembershipRecord).where(
                MembershipRecord.clinic_id == clinic_id, MembershipRecord.user_id == user_id
            )
        )
        return membership_of(record) if record else None

    async def add(self, membership: Membership) -> None:
        await self._insert(MembershipRecord, membership_row(membership))

    async def list(self, clinic_id: UUID, *, after: UUID | None, limit: int) -> Sequence[Membership]:
        stmt = (
            select(MembershipRecord)
            .where(MembershipRecord.clinic_id == clinic_id)
            .order_by(MembershipRecord.user_id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(MembershipRecord.user_id > after)
        return [membership_of(record) for record in await self._all(stmt)]

    async def of_user(self, user_id: UUID) -> Sequence[Membership]:
        stmt = (
            select(MembershipRecord)
            .where(MembershipRecord.user_id == user_id)
            .order_by(MembershipRecord.clinic_id)
        )
        return [membership_of(record) for record in await self._all(stmt)]
