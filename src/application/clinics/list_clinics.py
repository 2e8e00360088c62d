"""List the clinics the caller can see."""

from __future__ import annotations

from application.pagination import Page, PageRequest, page_of
from application.ports.repositories import ClinicRepository
from domain.access import Action, Actor, Decision, decide
from domain.clinics import Clinic


class ListClinics:
    """List clinics.

    - A super admin sees every clinic; anyone else sees the clinics they are a member of.
    """

    def __init__(self, clinics: ClinicRepository) -> None:
        self._clinics = clinics

    async def __call__(self, page: PageRequest, actor: Actor) -> Page[Clinic]:
        sees_all = decide(actor, Action.LIST_ALL_CLINICS) is Decision.ALLOWED
        among = None if sees_all else actor.clinic_ids
        rows = await self._clinics.list(among=among, after=page.after, limit=page.limit + 1)
        return page_of(rows, page, lambda clinic: clinic.id)
