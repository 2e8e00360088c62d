"""Read one doctor of a clinic."""

from __future__ import annotations

from uuid import UUID

from application.access import require_in_clinic
from application.audit.denials import DeniedAttempts
from application.caching import UNCACHED, QueryCache, cached
from application.ports.cache import SEMI_STATIC
from application.ports.doctors import DoctorRepository
from domain.access import Action, Actor
from domain.doctors import Doctor
from domain.errors import DoctorNotFound


class GetDoctor:
    """Read one doctor: profile and weekly schedule.

    - Every member of the clinic (any role) and super admins; anyone else, and any id that is
      not a doctor of this clinic, gets DOCTOR_NOT_FOUND.
    - Cached under its clinic (tags ``clinic:<id>``, ``doctor:<id>``, dropped by any write to
      the doctor); access is checked on every call, after the cache, on the cached doctor.
    """

    def __init__(
        self, doctors: DoctorRepository, denied: DeniedAttempts, cache: QueryCache = UNCACHED
    ) -> None:
        self._doctors = doctors
        self._denied = denied
        self.cache = cache

    async def __call__(self, clinic_id: UUID, doctor_id: UUID, actor: Actor) -> Doctor:
        return await self._denied.guard(lambda: self._read(clinic_id, doctor_id, actor))

    async def _read(self, clinic_id: UUID, doctor_id: UUID, actor: Actor) -> Doctor:
        doctor = await self.load(clinic_id, doctor_id)
        require_in_clinic(
            actor, Action.VIEW_DOCTORS, clinic_id, DoctorNotFound(), resource=("doctor", doctor_id)
        )
        if doctor is None or doctor.clinic_id != clinic_id:
            raise DoctorNotFound()
        return doctor

    @cached(
        "clinic:{clinic_id}:doctor:{doctor_id}",
        policy=SEMI_STATIC,
        tags=("clinic:{clinic_id}", "doctor:{doctor_id}"),
    )
    async def load(self, clinic_id: UUID, doctor_id: UUID) -> Doctor | None:
        return await self._doctors.get(clinic_id, doctor_id)
