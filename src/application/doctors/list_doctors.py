"""List a clinic's doctors."""

from __future__ import annotations

from uuid import UUID

from application.access import require
from application.audit.denials import DeniedAttempts
from application.caching import UNCACHED, QueryCache, cached
from application.clinics.clinic_entry import cached_clinic
from application.pagination import Page, PageRequest, page_of
from application.ports.cache import FREQUENT
from application.ports.doctors import DoctorRepository
from application.ports.repositories import ClinicRepository
from domain.access import Action, Actor
from domain.clinics import Clinic
from domain.doctors import Doctor
from domain.errors import ClinicNotFound


class ListDoctors:
    """List a clinic's doctors, by id, a keyset page at a time.

    - Every member of the clinic (any role) and super admins; anyone else gets
      CLINIC_ACCESS_DENIED.
    - Pages are cached under their clinic (tags ``clinic:<id>``, ``doctors:<id>``); access is
      checked before the cache, as for locations: it depends on the clinic alone.
    """

    def __init__(
        self,
        clinics: ClinicRepository,
        doctors: DoctorRepository,
        denied: DeniedAttempts,
        cache: QueryCache = UNCACHED,
    ) -> None:
        self._clinics = clinics
        self._doctors = doctors
        self._denied = denied
        self.cache = cache

    async def __call__(self, clinic_id: UUID, page: PageRequest, actor: Actor) -> Page[Doctor]:
        return await self._denied.guard(lambda: self._list(clinic_id, page, actor))

    async def _list(self, clinic_id: UUID, page: PageRequest, actor: Actor) -> Page[Doctor]:
        require(actor, Action.VIEW_DOCTORS, clinic_id)
        if actor.is_super_admin and await self.clinic(clinic_id) is None:
            raise ClinicNotFound()
        return await self.page(clinic_id, page.after, page.limit)

    @cached_clinic
    async def clinic(self, clinic_id: UUID) -> Clinic | None:
        return await self._clinics.get(clinic_id)  # the same entry GetClinic reads

    @cached(
        "clinic:{clinic_id}:doctors:{after}:{limit}",
        policy=FREQUENT,
        tags=("clinic:{clinic_id}", "doctors:{clinic_id}"),
    )
    async def page(self, clinic_id: UUID, after: UUID | None, limit: int) -> Page[Doctor]:
        rows = await self._doctors.list(clinic_id, after=after, limit=limit + 1)
        return page_of(rows, PageRequest(limit=limit, after=after), lambda doctor: doctor.id)
