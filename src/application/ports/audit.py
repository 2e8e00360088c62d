"""Reading the audit trail (writing goes through the UnitOfWork, in the business transaction)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from domain.audit import AuditEntry


class AuditReader(Protocol):
    @abstractmethod
    async def entries(self, *, clinic_id: UUID | None = None, limit: int = 100) -> Sequence[AuditEntry]:
        """The newest ``limit`` entries in the order written; ``clinic_id`` narrows to one clinic."""
        ...
