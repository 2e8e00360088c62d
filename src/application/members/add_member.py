"""Add a user to a clinic with a role."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from application.access import require
from application.auditing import AuditEntries
from application.ports.clock import Clock
from application.ports.repositories import (
    ClinicRepository,
    LocationRepository,
    MembershipRepository,
    UserRepository,
)
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.errors import ClinicNotFound, LocationNotFound, UserNotFound, ValidationFailed
from domain.identity import Membership, Role


@dataclass(frozen=True, slots=True, kw_only=True)
class AddMemberCommand:
    clinic_id: UUID
    user_id: UUID
    role: str
    location_ids: frozenset[UUID] = field(default_factory=frozenset)


class AddMember:
    """Add a user to a clinic with a role.

    - Clinic admins of that clinic and super admins may add members.
    - The role is one of CLINIC_ADMIN, DOCTOR, RECEPTIONIST, PATIENT (SUPER_ADMIN is platform-wide).
    - Every location id must be a location of this clinic (LOCATION_NOT_FOUND otherwise).
    - A user is a member of a clinic at most once (MEMBERSHIP_ALREADY_EXISTS).
    - Audited in the same transaction.
    """

    def __init__(
        self,
        clinics: ClinicRepository,
        users: UserRepository,
        locations: LocationRepository,
        memberships: MembershipRepository,
        uow: UnitOfWork,
        clock: Clock,
        audit: AuditEntries,
    ) -> None:
        self._clinics = clinics
        self._users = users
        self._locations = locations
        self._memberships = memberships
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: AddMemberCommand, actor: Actor) -> Membership:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: AddMemberCommand, actor: Actor) -> Membership:
        require(actor, Action.ADD_MEMBER, cmd.clinic_id)
        try:
            role = Role(cmd.role)
        except ValueError:
            raise ValidationFailed(details={"role": f"expected one of {', '.join(Role)}"}) from None
        if await self._clinics.get(cmd.clinic_id) is None:
            raise ClinicNotFound()
        if await self._users.get(cmd.user_id) is None:
            raise UserNotFound()
        known = await self._locations.existing_ids(cmd.clinic_id, cmd.location_ids)
        if known != cmd.location_ids:
            raise LocationNotFound(details={"locationIds": "every id must be a location of this clinic"})
        membership = Membership(
            clinic_id=cmd.clinic_id,
            user_id=cmd.user_id,
            role=role,
            location_ids=cmd.location_ids,
            created_at=self._clock.now(),
            created_by=actor.user_id,
        )
        await self._memberships.add(membership)
        self._uow.record(
            self._audit.entry(actor, "ADD_MEMBER", "membership", cmd.user_id, clinic_id=cmd.clinic_id)
        )
        await self._uow.commit()
        return membership
