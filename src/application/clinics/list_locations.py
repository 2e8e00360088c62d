"""List a clinic's locations."""

from __future__ import annotations

from uuid import UUID

from application.access import require
from application.audit.denials import DeniedAttempts
from application.pagination import Page, PageRequest, page_of
from application.ports.repositories import ClinicRepository, LocationRepository
from domain.access import Action, Actor
from domain.clinics import ClinicLocation
from domain.errors import ClinicNotFound


class ListLocations:
    """List a clinic's locations.

    - Members of the clinic (any role) and super admins may list them.
    """

    def __init__(
        self, clinics: ClinicRepository, locations: LocationRepository, denied: DeniedAttempts
    ) -> None:
        self._clinics = clinics
        self._locations = locations
        self._denied = denied

    async def __call__(self, clinic_id: UUID, page: PageRequest, actor: Actor) -> Page[ClinicLocation]:
        return await self._denied.guard(lambda: self._list(clinic_id, page, actor))

    async def _list(self, clinic_id: UUID, page: PageRequest, actor: Actor) -> Page[ClinicLocation]:
        require(actor, Action.VIEW_LOCATIONS, clinic_id)
        if actor.is_super_admin and await self._clinics.get(clinic_id) is None:
            raise ClinicNotFound()
        rows = await self._locations.list(clinic_id, after=page.after, limit=page.limit + 1)
        return page_of(rows, page, lambda location: location.id)
