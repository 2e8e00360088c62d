"""Add a location to a clinic."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import require
from application.auditing import AuditEntries
from application.ports.clock import Clock, IdGenerator
from application.ports.repositories import ClinicRepository, LocationRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.clinics import ClinicLocation
from domain.errors import ClinicNotFound


@dataclass(frozen=True, slots=True, kw_only=True)
class AddLocationCommand:
    clinic_id: UUID
    name: str
    address: str


class AddLocation:
    """Add a location to a clinic.

    - Clinic admins of that clinic and super admins may add locations.
    - The addition is audited in the same transaction.
    """

    def __init__(
        self,
        clinics: ClinicRepository,
        locations: LocationRepository,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
    ) -> None:
        self._clinics = clinics
        self._locations = locations
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: AddLocationCommand, actor: Actor) -> ClinicLocation:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: AddLocationCommand, actor: Actor) -> ClinicLocation:
        require(actor, Action.ADD_LOCATION, cmd.clinic_id)
        if await self._clinics.get(cmd.clinic_id) is None:
            raise ClinicNotFound()
        location = ClinicLocation(
            id=self._ids.new_id(),
            clinic_id=cmd.clinic_id,
            name=cmd.name,
            address=cmd.address,
            created_at=self._clock.now(),
            created_by=actor.user_id,
        )
        await self._locations.add(location)
        self._uow.record(
            self._audit.entry(actor, "ADD_LOCATION", "location", location.id, clinic_id=cmd.clinic_id)
        )
        await self._uow.commit()
        return location
