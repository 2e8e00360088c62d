"""Auditing refused attempts of read use cases, each in a transaction of its own.

Write use cases need nothing of this: their unit of work's ``run`` audits the denial an error
carries. A read use case runs its body through ``DeniedAttempts.guard`` instead, so that reads
need no transaction (nor the primary database) unless something was refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from application.auditing import AuditEntries
from application.ports.uow import UnitOfWork
from domain.audit import Denial
from domain.errors import DomainError

T = TypeVar("T")


class DeniedAttempts:
    """Records DENIED entries through the request's unit of work."""

    def __init__(self, uow: UnitOfWork, entries: AuditEntries) -> None:
        self._uow = uow
        self._entries = entries

    async def guard(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work``; if it raises an error carrying a denial, audit the denial once (committed
        in its own unit), then re-raise the error."""
        try:
            return await work()
        except DomainError as error:
            refused = error.take_denial()
            if refused is not None:
                await self.record(refused)
            raise

    async def record(self, refused: Denial) -> None:
        """Audit one refused attempt now, in a unit of its own."""
        entry = self._entries.denied(refused)

        async def write() -> None:
            self._uow.record(entry)
            await self._uow.commit()

        await self._uow.run(write)
