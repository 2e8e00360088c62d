"""The unit of work: one transaction per write use case."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from domain.audit import AuditEntry

T = TypeVar("T")


class CommitListener(Protocol):
    """Told what a unit did once it is durable (for example to invalidate cached reads)."""

    @abstractmethod
    async def committed(self, entries: Sequence[AuditEntry], touched: Sequence[str] = ()) -> None:
        """Called after a successful commit with the unit's audit entries, which name every
        resource it wrote, and the cache tags it ``touch``-ed beyond them. Must not raise: the
        commit has happened; failures are the listener's to log."""
        ...


@dataclass(frozen=True, slots=True)
class CommitListeners:
    """Every listener of the active profile, in order."""

    listeners: tuple[CommitListener, ...] = ()


class UnitOfWork(Protocol):
    """Everything a use case staged through repositories, plus the audit entries it recorded,
    becomes durable together on ``commit`` or not at all. Without ``commit`` nothing is kept
    (the adapter rolls back when the request's scope closes). A use case commits once."""

    @abstractmethod
    def record(self, *entries: AuditEntry) -> None:
        """Add audit entries to this unit; they are written by ``commit``, in the same transaction."""
        ...

    @abstractmethod
    def touch(self, *tags: str) -> None:
        """Name cache tags this unit's writes make stale beyond what its audit entries name (an
        appointment write touches its doctor's availability, ``doctor:<id>``). The commit
        listeners get them after ``commit``; a rolled-back unit forgets them."""
        ...

    @abstractmethod
    async def commit(self) -> None:
        """Make the unit durable, then tell the commit listeners. Raises the domain error for a
        violated uniqueness or version rule (nothing is kept then), TransientFailure when the
        unit may safely be re-run (see ``run``), and ServiceUnavailable when the store cannot be
        reached or the outcome of the commit is unknown."""
        ...

    @abstractmethod
    async def rollback(self) -> None: ...

    @abstractmethod
    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` (which stages, records and commits) as this unit. On TransientFailure
        (a serialization failure, a deadlock, a connection lost before commit) roll back and run
        ``work`` again from the start, with backoff and jitter, a bounded number of times; then
        raise ServiceUnavailable. ``work`` must therefore read everything it decides on inside
        itself. Any other error rolls back and propagates."""
        ...
