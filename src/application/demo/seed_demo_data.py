"""Seed demo data on the first start of an empty embedded database."""

from __future__ import annotations

from dataclasses import dataclass

from application.auditing import AuditEntries
from application.ports.clock import Clock, IdGenerator
from application.ports.repositories import (
    ClinicRepository,
    LocationRepository,
    MembershipRepository,
    UserRepository,
)
from application.ports.uow import UnitOfWork
from domain.clinics import Clinic, ClinicLocation
from domain.contact import Email, PhoneNumber
from domain.identity import Membership, Role, User

DEMO_ADMIN_EMAIL = "admin@demo.clinic"
DEMO_CLINIC_ADMIN_EMAIL = "clinic.admin@demo.clinic"
DEMO_TIME_ZONE = "Europe/Berlin"


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoData:
    super_admin_email: str
    clinic_admin_email: str
    clinic_id: str
    location_id: str


class SeedDemoData:
    """Seed a super admin, one clinic with one location, and that clinic's admin.

    - Runs only when no user exists yet, so a restart or a real database is never touched;
      returns None when it did nothing.
    - Everything is written in one transaction, audited as system actions.
    """

    def __init__(
        self,
        users: UserRepository,
        clinics: ClinicRepository,
        locations: LocationRepository,
        memberships: MembershipRepository,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
    ) -> None:
        self._users = users
        self._clinics = clinics
        self._locations = locations
        self._memberships = memberships
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self) -> DemoData | None:
        return await self._uow.run(lambda: self._execute())

    async def _execute(self) -> DemoData | None:
        if await self._users.any_exist():
            return None
        now = self._clock.now()
        admin = User(
            id=self._ids.new_id(),
            email=Email(DEMO_ADMIN_EMAIL),
            phone=None,
            name="Demo Super Admin",
            is_super_admin=True,
            created_at=now,
        )
        clinic = Clinic(
            id=self._ids.new_id(),
            name="Demo Family Clinic",
            time_zone=DEMO_TIME_ZONE,
            contact_email=Email("front.desk@demo.clinic"),
            contact_phone=PhoneNumber("+4930123456"),
            created_at=now,
            updated_at=now,
        )
        location = ClinicLocation(
            id=self._ids.new_id(),
            clinic_id=clinic.id,
            name="Main Street",
            address="Hauptstrasse 1, 10115 Berlin",
            created_at=now,
        )
        clinic_admin = User(
            id=self._ids.new_id(),
            email=Email(DEMO_CLINIC_ADMIN_EMAIL),
            phone=None,
            name="Demo Clinic Admin",
            created_at=now,
        )
        await self._users.add(admin)
        await self._users.add(clinic_admin)
        await self._clinics.add(clinic)
        await self._locations.add(location)
        await self._memberships.add(
            Membership(clinic_id=clinic.id, user_id=clinic_admin.id, role=Role.CLINIC_ADMIN, created_at=now)
        )
        self._uow.record(self._audit.entry(None, "SEED_DEMO_DATA", "clinic", clinic.id, clinic_id=clinic.id))
        await self._uow.commit()
        return DemoData(
            super_admin_email=DEMO_ADMIN_EMAIL,
            clinic_admin_email=DEMO_CLINIC_ADMIN_EMAIL,
            clinic_id=str(clinic.id),
            location_id=str(location.id),
        )
