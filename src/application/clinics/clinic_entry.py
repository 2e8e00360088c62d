"""The cache entry of a clinic, shared by every use case that reads a clinic through the cache.

One key (``clinic:<id>``) filled from several places must be filled alike: one policy, one tag
and one type (``Clinic | None``). Decorate the method that loads the clinic with ``cached_clinic``::

    @cached_clinic
    async def clinic(self, clinic_id: UUID) -> Clinic | None:
        return await self._clinics.get(clinic_id)
"""

from __future__ import annotations

from application.caching import cached
from application.ports.cache import SEMI_STATIC

cached_clinic = cached("clinic:{clinic_id}", policy=SEMI_STATIC, tags=("clinic:{clinic_id}",))
