"""TenantScope for the memory store: it has no second wall; the application's filters are all."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from application.ports.tenancy import TenantScope


class InMemoryTenantScope(TenantScope):
    async def apply(self, *, user_id: UUID | None, clinic_ids: Collection[UUID] | None) -> None:
        return None
