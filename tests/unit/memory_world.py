"""Use cases built by hand over the memory adapters."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from adapters.memory.repositories import (
    InMemoryClinicRepository,
    InMemoryLocationRepository,
    InMemoryMembershipRepository,
    InMemoryUserRepository,
)
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from application.auditing import AuditEntries
from application.ports.clock import Clock, IdGenerator
from domain.access import Actor, ClinicRole
from domain.identity import Role


@dataclass
class Unit:
    uow: InMemoryUnitOfWork
    clinics: InMemoryClinicRepository
    locations: InMemoryLocationRepository
    users: InMemoryUserRepository
    memberships: InMemoryMembershipRepository
    clock: Clock
    ids: IdGenerator
    audit: AuditEntries


class World:
    """One memory store; ``unit()`` opens a fresh unit of work over it, like one request."""

    def __init__(self, clock: Clock, ids: IdGenerator) -> None:
        self.store = InMemoryStore()
        self.clock = clock
        self.ids = ids

    def unit(self) -> Unit:
        uow = InMemoryUnitOfWork(self.store)
        return Unit(
            uow=uow,
            clinics=InMemoryClinicRepository(uow),
            locations=InMemoryLocationRepository(uow),
            users=InMemoryUserRepository(uow),
            memberships=InMemoryMembershipRepository(uow),
            clock=self.clock,
            ids=self.ids,
            audit=AuditEntries(self.clock, self.ids),
        )


def super_admin(ids: IdGenerator) -> Actor:
    return Actor(user_id=ids.new_id(), is_super_admin=True, request_id="req-super")


def member_of(clinic_id: UUID, role: Role, ids: IdGenerator) -> Actor:
    return Actor(user_id=ids.new_id(), memberships={clinic_id: ClinicRole(role)}, request_id="req-member")
