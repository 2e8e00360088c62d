"""List a clinic's locations."""

from __future__ import annotations

from uuid import UUID

from application.access import require
from application.audit.denials import DeniedAttempts
from application.caching import UNCACHED, QueryCache, cached
from application.clinics.clinic_entry import cached_clinic
from application.pagination import Page, PageRequest, page_of
from application.ports.cache import FREQUENT
from application.ports.repositories import ClinicRepository, LocationRepository
from domain.access import Action, Actor
from domain.clinics import Clinic, ClinicLocation
from domain.errors import ClinicNotFound


class ListLocations:
    """List a clinic's locations.

    - Members of the clinic (any role) and super admins may list them.
    - Pages are cached under their clinic (tags ``clinic:<id>``, ``locations:<id>``). Access is
      checked on every call, here before the cache: the decision depends on the clinic alone,
      and a page read for someone the store's own wall (row-level security) hides the clinic
      from would be empty, and must never be cached for its members.
    """

    def __init__(
        self,
        clinics: ClinicRepository,
        locations: LocationRepository,
        denied: DeniedAttempts,
        cache: QueryCache = UNCACHED,
    ) -> None:
        self._clinics = clinics
        self._locations = locations
        self._denied = denied
        self.cache = cache

    async def __call__(self, clinic_id: UUID, page: PageRequest, actor: Actor) -> Page[ClinicLocation]:
        return await self._denied.guard(lambda: self._list(clinic_id, page, actor))

    async def _list(self, clinic_id: UUID, page: PageRequest, actor: Actor) -> Page[ClinicLocation]:
        require(actor, Action.VIEW_LOCATIONS, clinic_id)
        if actor.is_super_admin and await self.clinic(clinic_id) is None:
            raise ClinicNotFound()
        return await self.page(clinic_id, page.after, page.limit)

    @cached_clinic
    async def clinic(self, clinic_id: UUID) -> Clinic | None:
        return await self._clinics.get(clinic_id)  # the same entry GetClinic reads

    @cached(
        "clinic:{clinic_id}:locations:{after}:{limit}",
        policy=FREQUENT,
        tags=("clinic:{clinic_id}", "locations:{clinic_id}"),
    )
    async def page(self, clinic_id: UUID, after: UUID | None, limit: int) -> Page[ClinicLocation]:
        rows = await self._locations.list(clinic_id, after=after, limit=limit + 1)
        return page_of(rows, PageRequest(limit=limit, after=after), lambda location: location.id)
