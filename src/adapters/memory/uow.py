"""UnitOfWork over the in-memory store: writes are staged and applied together on commit."""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterator
from typing import Any, TypeVar

from adapters.memory.audit_chain import append_sealed
from adapters.memory.store import InMemoryStore
from application.auditing import AuditEntries
from application.ports.uow import CommitListeners, UnitOfWork
from domain.audit import AuditEntry
from domain.audit_chain import UNCONFIGURED_KEY, ChainSealer
from domain.errors import DomainError

T = TypeVar("T")
logger = logging.getLogger(__name__)

# A check runs on commit against the committed state, before anything is applied; it raises the
# domain error (a uniqueness or version rule another unit broke since this one staged its rows).
CommitCheck = Callable[[InMemoryStore], None]


class InMemoryUnitOfWork(UnitOfWork):
    """One transaction over InMemoryStore. Commit is synchronous inside, so it is atomic under
    asyncio: no other unit can interleave between its checks and its writes. Nothing here is
    transient, so ``run`` runs its work once. Audit entries are sealed into their chains on
    commit with ``sealer``; with ``audit``, ``run`` records the denial an error carries, as DENIED,
    in a unit of its own (without it, units built by hand in tests, denials are not recorded)."""

    def __init__(
        self,
        store: InMemoryStore,
        listeners: CommitListeners | None = None,
        *,
        sealer: ChainSealer | None = None,
        audit: AuditEntries | None = None,
    ) -> None:
        self._store = store
        self._listeners = listeners or CommitListeners()
        self._sealer = sealer or ChainSealer(UNCONFIGURED_KEY)
        self._entries = audit
        self._staged: dict[str, dict[Hashable, Any]] = {}
        self._checks: list[CommitCheck] = []
        self._audit: list[AuditEntry] = []
        self._touched: list[str] = []
        self._insert_only: set[tuple[str, Hashable]] = set()

    def stage(self, table: str, key: Hashable, value: Any, check: CommitCheck | None = None) -> None:
        self._staged.setdefault(table, {})[key] = copy.deepcopy(value)
        if check is not None:
            check(self._store)
            self._checks.append(check)

    def stage_new(self, table: str, key: Hashable, value: Any) -> None:
        """Stage a row that commit writes only if ``key`` is still absent then: the first unit
        to commit wins, the others' rows are dropped without an error (idempotent inserts)."""
        self.stage(table, key, value)
        self._insert_only.add((table, key))

    def read(self, table: str, key: Hashable) -> Any | None:
        staged = self._staged.get(table, {})
        value = staged[key] if key in staged else self._store.table(table).get(key)
        return copy.deepcopy(value)

    def rows(self, table: str) -> Iterator[Any]:
        merged = {**self._store.table(table), **self._staged.get(table, {})}
        return (copy.deepcopy(value) for value in merged.values())

    def record(self, *entries: AuditEntry) -> None:
        self._audit.extend(entries)

    def touch(self, *tags: str) -> None:
        self._touched.extend(tags)

    async def commit(self) -> None:
        entries = list(self._audit)
        touched = tuple(dict.fromkeys(self._touched))
        try:
            for check in self._checks:
                check(self._store)
            for table, rows in self._staged.items():
                stored = self._store.table(table)
                stored.update(
                    {k: v for k, v in rows.items() if (table, k) not in self._insert_only or k not in stored}
                )
            append_sealed(self._store, self._sealer, entries)
            self._store.audit.extend(entries)
        finally:
            self._clear()
        for listener in self._listeners.listeners:
            await listener.committed(entries, touched)

    async def rollback(self) -> None:
        self._clear()

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        try:
            return await work()
        except BaseException as error:
            self._clear()
            await self._audit_denial(error)
            raise

    async def _audit_denial(self, error: BaseException) -> None:
        refused = error.take_denial() if isinstance(error, DomainError) and self._entries else None
        if refused is not None and self._entries is not None:
            self.record(self._entries.denied(refused))
            await self.commit()

    def _clear(self) -> None:
        self._staged.clear()
        self._checks.clear()
        self._audit.clear()
        self._touched.clear()
        self._insert_only.clear()
