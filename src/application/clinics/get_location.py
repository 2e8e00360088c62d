"""Read one location of a clinic."""

from __future__ import annotations

from uuid import UUID

from application.access import require_in_clinic
from application.audit.denials import DeniedAttempts
from application.caching import UNCACHED, QueryCache, cached
from application.ports.cache import SEMI_STATIC
from application.ports.repositories import LocationRepository
from domain.access import Action, Actor
from domain.clinics import ClinicLocation
from domain.errors import LocationNotFound


class GetLocation:
    """Read one location.

    - Members of the clinic (any role) and super admins may read it.
    - Anyone else, and any id that is not a location of this clinic, gets LOCATION_NOT_FOUND.
    - The location is cached under its clinic (tags ``clinic:<id>``, ``location:<id>``); access
      is checked on every call, after the cache, on the cached location.
    """

    def __init__(
        self, locations: LocationRepository, denied: DeniedAttempts, cache: QueryCache = UNCACHED
    ) -> None:
        self._locations = locations
        self._denied = denied
        self.cache = cache

    async def __call__(self, clinic_id: UUID, location_id: UUID, actor: Actor) -> ClinicLocation:
        return await self._denied.guard(lambda: self._read(clinic_id, location_id, actor))

    async def _read(self, clinic_id: UUID, location_id: UUID, actor: Actor) -> ClinicLocation:
        location = await self.load(clinic_id, location_id)
        require_in_clinic(actor, Action.VIEW_LOCATIONS, clinic_id, LocationNotFound())
        if location is None or location.clinic_id != clinic_id:
            raise LocationNotFound()
        return location

    @cached(
        "clinic:{clinic_id}:location:{location_id}",
        policy=SEMI_STATIC,
        tags=("clinic:{clinic_id}", "location:{location_id}"),
    )
    async def load(self, clinic_id: UUID, location_id: UUID) -> ClinicLocation | None:
        return await self._locations.get(clinic_id, location_id)
