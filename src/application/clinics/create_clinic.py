"""Create a clinic."""

from __future__ import annotations

from dataclasses import dataclass

from application.access import require
from application.auditing import AuditEntries
from application.ports.clock import Clock, IdGenerator
from application.ports.repositories import ClinicRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.clinics import Clinic
from domain.contact import Email, PhoneNumber


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateClinicCommand:
    name: str
    time_zone: str
    contact_email: str | None = None
    contact_phone: str | None = None


class CreateClinic:
    """Create a clinic.

    - Only a super admin may create clinics.
    - The time zone is an IANA name; contact email and phone are validated.
    - The creation is audited in the same transaction.
    """

    def __init__(
        self, clinics: ClinicRepository, uow: UnitOfWork, clock: Clock, ids: IdGenerator, audit: AuditEntries
    ) -> None:
        self._clinics = clinics
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: CreateClinicCommand, actor: Actor) -> Clinic:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: CreateClinicCommand, actor: Actor) -> Clinic:
        require(actor, Action.CREATE_CLINIC)
        now = self._clock.now()
        clinic = Clinic(
            id=self._ids.new_id(),
            name=cmd.name,
            time_zone=cmd.time_zone,
            contact_email=Email(cmd.contact_email) if cmd.contact_email else None,
            contact_phone=PhoneNumber(cmd.contact_phone) if cmd.contact_phone else None,
            created_at=now,
            updated_at=now,
            created_by=actor.user_id,
            updated_by=actor.user_id,
        )
        await self._clinics.add(clinic)
        self._uow.record(self._audit.entry(actor, "CREATE_CLINIC", "clinic", clinic.id, clinic_id=clinic.id))
        await self._uow.commit()
        return clinic
