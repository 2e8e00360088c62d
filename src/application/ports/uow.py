"""The unit of work: one transaction per write use case."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from domain.audit import AuditEntry


class UnitOfWork(Protocol):
    """Everything a use case staged through repositories, plus the audit entries it recorded,
    becomes durable together on ``commit`` or not at all. Without ``commit`` nothing is kept
    (the adapter rolls back when the request's scope closes). A use case commits once."""

    @abstractmethod
    def record(self, *entries: AuditEntry) -> None:
        """Add audit entries to this unit; they are written by ``commit``, in the same transaction."""
        ...

    @abstractmethod
    async def commit(self) -> None:
        """Make the unit durable. Raises the domain error for a violated uniqueness or version
        rule (nothing is kept then) and ServiceUnavailable when the store cannot be reached."""
        ...

    @abstractmethod
    async def rollback(self) -> None: ...
