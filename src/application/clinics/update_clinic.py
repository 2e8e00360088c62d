"""Change a clinic's details."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import require
from application.auditing import AuditEntries, changed_fields, vars_of
from application.ports.clock import Clock
from application.ports.repositories import ClinicRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.clinics import Clinic
from domain.contact import Email, PhoneNumber
from domain.errors import ClinicNotFound, VersionConflict


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateClinicCommand:
    clinic_id: UUID
    expected_version: int | None = None
    name: str | None = None
    time_zone: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    active: bool | None = None


class UpdateClinic:
    """Change a clinic's details.

    - Clinic admins of that clinic and super admins may change it.
    - With ``expected_version`` (the HTTP If-Match), a stale version is VERSION_CONFLICT, and of
      two writers racing on the same version exactly one wins; the other gets VERSION_CONFLICT.
    - The change is audited in the same transaction, naming the fields changed (not their values).
    """

    def __init__(self, clinics: ClinicRepository, uow: UnitOfWork, clock: Clock, audit: AuditEntries) -> None:
        self._clinics = clinics
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: UpdateClinicCommand, actor: Actor) -> Clinic:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: UpdateClinicCommand, actor: Actor) -> Clinic:
        require(actor, Action.UPDATE_CLINIC, cmd.clinic_id)
        clinic = await self._clinics.get(cmd.clinic_id)
        if clinic is None:
            raise ClinicNotFound()
        if cmd.expected_version is not None and cmd.expected_version != clinic.version:
            raise VersionConflict()
        read_version, before = clinic.version, vars_of(clinic)
        clinic.change(
            at=self._clock.now(),
            by=actor.user_id,
            name=cmd.name,
            time_zone_name=cmd.time_zone,
            contact_email=Email(cmd.contact_email) if cmd.contact_email else None,
            contact_phone=PhoneNumber(cmd.contact_phone) if cmd.contact_phone else None,
            active=cmd.active,
        )
        await self._clinics.update(clinic, expected_version=read_version)
        changed = changed_fields(before, vars_of(clinic), ignore=("version", "updated_at", "updated_by"))
        self._uow.record(
            self._audit.entry(
                actor, "UPDATE_CLINIC", "clinic", clinic.id, clinic_id=clinic.id, changed_fields=changed
            )
        )
        await self._uow.commit()
        return clinic
