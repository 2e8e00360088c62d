"""Repository ports for the clinic registry.

Contract for every adapter (checked by tests/contract):
- ``get`` returns None when nothing matches *in the given scope*; it never raises for absence.
- ``add`` stages a new row in the current unit of work; uniqueness violations raise the domain
  error named in the method's docstring, at the latest on commit.
- Lists are keyset-paginated: ordered by id (UUIDv7, so by creation), ``after`` excludes
  everything up to and including that id, at most ``limit`` items.
- Nothing is visible to other units of work before commit.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection, Sequence
from typing import Protocol
from uuid import UUID

from domain.clinics import Clinic, ClinicLocation
from domain.contact import Email, PhoneNumber
from domain.identity import Membership, User


class ClinicRepository(Protocol):
    @abstractmethod
    async def get(self, clinic_id: UUID) -> Clinic | None: ...

    @abstractmethod
    async def add(self, clinic: Clinic) -> None: ...

    @abstractmethod
    async def update(self, clinic: Clinic, *, expected_version: int) -> None:
        """Store ``clinic`` if the stored version is still ``expected_version``;
        raises VersionConflict otherwise (another writer came first)."""
        ...

    @abstractmethod
    async def list(
        self, *, among: Collection[UUID] | None, after: UUID | None, limit: int
    ) -> Sequence[Clinic]:
        """Clinics by id; ``among=None`` means every clinic (super admins only)."""
        ...


class LocationRepository(Protocol):
    @abstractmethod
    async def get(self, clinic_id: UUID, location_id: UUID) -> ClinicLocation | None: ...

    @abstractmethod
    async def add(self, location: ClinicLocation) -> None: ...

    @abstractmethod
    async def list(self, clinic_id: UUID, *, after: UUID | None, limit: int) -> Sequence[ClinicLocation]: ...

    @abstractmethod
    async def existing_ids(self, clinic_id: UUID, location_ids: Collection[UUID]) -> frozenset[UUID]:
        """Which of ``location_ids`` are locations of this clinic."""
        ...


class UserRepository(Protocol):
    @abstractmethod
    async def get(self, user_id: UUID) -> User | None: ...

    @abstractmethod
    async def get_by_email(self, email: Email) -> User | None:
        """Case-insensitive on the whole address."""
        ...

    @abstractmethod
    async def get_by_phone(self, phone: PhoneNumber) -> User | None: ...

    @abstractmethod
    async def add(self, user: User) -> None:
        """Raises EmailAlreadyExists or PhoneAlreadyExists when another user holds either."""
        ...

    @abstractmethod
    async def any_exist(self) -> bool: ...


class MembershipRepository(Protocol):
    @abstractmethod
    async def get(self, clinic_id: UUID, user_id: UUID) -> Membership | None: ...

    @abstractmethod
    async def add(self, membership: Membership) -> None:
        """Raises MembershipAlreadyExists when the user is already a member of the clinic."""
        ...

    @abstractmethod
    async def list(self, clinic_id: UUID, *, after: UUID | None, limit: int) -> Sequence[Membership]:
        """Members ordered by user id."""
        ...

    @abstractmethod
    async def of_user(self, user_id: UUID) -> Sequence[Membership]:
        """Every membership the user holds, in every clinic (to build the caller's Actor)."""
        ...
