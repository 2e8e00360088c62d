"""Read one location of a clinic."""

from __future__ import annotations

from uuid import UUID

from application.access import require_in_clinic
from application.audit.denials import DeniedAttempts
from application.ports.repositories import LocationRepository
from domain.access import Action, Actor
from domain.clinics import ClinicLocation
from domain.errors import LocationNotFound


class GetLocation:
    """Read one location.

    - Members of the clinic (any role) and super admins may read it.
    - Anyone else, and any id that is not a location of this clinic, gets LOCATION_NOT_FOUND.
    """

    def __init__(self, locations: LocationRepository, denied: DeniedAttempts) -> None:
        self._locations = locations
        self._denied = denied

    async def __call__(self, clinic_id: UUID, location_id: UUID, actor: Actor) -> ClinicLocation:
        return await self._denied.guard(lambda: self._read(clinic_id, location_id, actor))

    async def _read(self, clinic_id: UUID, location_id: UUID, actor: Actor) -> ClinicLocation:
        require_in_clinic(actor, Action.VIEW_LOCATIONS, clinic_id, LocationNotFound())
        location = await self._locations.get(clinic_id, location_id)
        if location is None:
            raise LocationNotFound()
        return location
