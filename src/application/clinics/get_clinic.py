"""Read one clinic."""

from __future__ import annotations

from uuid import UUID

from application.access import require
from application.audit.denials import DeniedAttempts
from application.caching import UNCACHED, QueryCache
from application.clinics.clinic_entry import cached_clinic
from application.ports.repositories import ClinicRepository
from domain.access import Action, Actor
from domain.clinics import Clinic
from domain.errors import ClinicNotFound


class GetClinic:
    """Read one clinic.

    - Members of the clinic (any role) and super admins may read it.
    - Anyone else gets CLINIC_ACCESS_DENIED, whether or not the clinic exists.
    - The clinic is cached (tag ``clinic:<id>``, dropped when it is written); access is checked
      on every call, after the cache, on the cached clinic.
    """

    def __init__(
        self, clinics: ClinicRepository, denied: DeniedAttempts, cache: QueryCache = UNCACHED
    ) -> None:
        self._clinics = clinics
        self._denied = denied
        self.cache = cache

    async def __call__(self, clinic_id: UUID, actor: Actor) -> Clinic:
        return await self._denied.guard(lambda: self._read(clinic_id, actor))

    async def _read(self, clinic_id: UUID, actor: Actor) -> Clinic:
        clinic = await self.load(clinic_id)
        require(actor, Action.VIEW_CLINIC, clinic_id)
        if clinic is None:
            raise ClinicNotFound()
        return clinic

    @cached_clinic
    async def load(self, clinic_id: UUID) -> Clinic | None:
        return await self._clinics.get(clinic_id)
