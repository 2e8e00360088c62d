"""The tenant scope of the current unit of work: the database's second wall.

The application already filters every tenant query by clinic. Where the store can enforce it
too (PostgreSQL row-level security), the scope set here is what it enforces, so a bug or a raw
query in one request still cannot reach another clinic's rows.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection
from typing import Protocol
from uuid import UUID


class TenantScope(Protocol):
    @abstractmethod
    async def apply(self, *, user_id: UUID | None, clinic_ids: Collection[UUID] | None) -> None:
        """From now on, for this request: rows of ``clinic_ids`` are visible (None means every
        clinic: super admins and the system itself), plus the memberships of ``user_id``. Until
        it is called, no clinic's rows are visible (fail closed)."""
        ...
