"""The registry's repositories over the in-memory store (memory profile and unit tests)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TypeVar
from uuid import UUID

from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from application.ports.repositories import (
    ClinicRepository,
    LocationRepository,
    MembershipRepository,
    UserRepository,
)
from domain.clinics import Clinic, ClinicLocation
from domain.contact import Email, PhoneNumber
from domain.errors import EmailAlreadyExists, MembershipAlreadyExists, PhoneAlreadyExists, VersionConflict
from domain.identity import Membership, User

T = TypeVar("T")


def _page(rows: Iterable[T], key: Callable[[T], UUID], after: UUID | None, limit: int) -> list[T]:
    ordered = sorted(rows, key=key)
    return [row for row in ordered if after is None or key(row) > after][:limit]


class InMemoryClinicRepository(ClinicRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def get(self, clinic_id: UUID) -> Clinic | None:
        clinic: Clinic | None = self._uow.read("clinics", clinic_id)
        return clinic

    async def add(self, clinic: Clinic) -> None:
        self._uow.stage("clinics", clinic.id, clinic)

    async def update(self, clinic: Clinic, *, expected_version: int) -> None:
        def same_version(store: InMemoryStore) -> None:
            stored = store.table("clinics").get(clinic.id)
            if stored is None or stored.version != expected_version:
                raise VersionConflict()

        self._uow.stage("clinics", clinic.id, clinic, check=same_version)

    async def list(
        self, *, among: Collection[UUID] | None, after: UUID | None, limit: int
    ) -> Sequence[Clinic]:
        rows = (c for c in self._uow.rows("clinics") if among is None or c.id in among)
        return _page(rows, lambda c: c.id, after, limit)


class InMemoryLocationRepository(LocationRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def get(self, clinic_id: UUID, location_id: UUID) -> ClinicLocation | None:
        location: ClinicLocation | None = self._uow.read("locations", (clinic_id, location_id))
        return location

    async def add(self, location: ClinicLocation) -> None:
        self._uow.stage("locations", (location.clinic_id, location.id), location)

    async def list(self, clinic_id: UUID, *, after: UUID | None, limit: int) -> Sequence[ClinicLocation]:
        rows = (loc for loc in self._uow.rows("locations") if loc.clinic_id == clinic_id)
        return _page(rows, lambda loc: loc.id, after, limit)

    async def existing_ids(self, clinic_id: UUID, location_ids: Collection[UUID]) -> frozenset[UUID]:
        return frozenset(i for i in location_ids if self._uow.read("locations", (clinic_id, i)) is not None)


class InMemoryUserRepository(UserRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def get(self, user_id: UUID) -> User | None:
        user: User | None = self._uow.read("users", user_id)
        return user

    async def get_by_email(self, email: Email) -> User | None:
        return next(
            (u for u in self._uow.rows("users") if u.email and u.email.lookup_key == email.lookup_key), None
        )

    async def get_by_phone(self, phone: PhoneNumber) -> User | None:
        return next((u for u in self._uow.rows("users") if u.phone == phone), None)

    async def add(self, user: User) -> None:
        def unique(others: Iterable[User]) -> None:
            for other in others:
                if other.id == user.id:
                    continue
                if user.email and other.email and other.email.lookup_key == user.email.lookup_key:
                    raise EmailAlreadyExists()
                if user.phone and other.phone == user.phone:
                    raise PhoneAlreadyExists()

        unique(self._uow.rows("users"))
        self._uow.stage("users", user.id, user, check=lambda store: unique(store.table("users").values()))

    async def any_exist(self) -> bool:
        return next(self._uow.rows("users"), None) is not None


class InMemoryMembershipRepository(MembershipRepository):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def get(self, clinic_id: UUID, user_id: UUID) -> Membership | None:
        membership: Membership | None = self._uow.read("memberships", (clinic_id, user_id))
        return membership

    async def add(self, membership: Membership) -> None:
        key = (membership.clinic_id, membership.user_id)

        def absent(store: InMemoryStore) -> None:
            if key in store.table("memberships"):
                raise MembershipAlreadyExists()

        if self._uow.read("memberships", key) is not None:
            raise MembershipAlreadyExists()
        self._uow.stage("memberships", key, membership, check=absent)

    async def list(self, clinic_id: UUID, *, after: UUID | None, limit: int) -> Sequence[Membership]:
        rows = (m for m in self._uow.rows("memberships") if m.clinic_id == clinic_id)
        return _page(rows, lambda m: m.user_id, after, limit)

    async def of_user(self, user_id: UUID) -> Sequence[Membership]:
        return sorted(
            (m for m in self._uow.rows("memberships") if m.user_id == user_id), key=lambda m: m.clinic_id
        )
