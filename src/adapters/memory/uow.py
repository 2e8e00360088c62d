"""UnitOfWork over the in-memory store: writes are staged and applied together on commit."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from adapters.memory.store import InMemoryStore
from application.ports.uow import UnitOfWork
from domain.audit import AuditEntry

# A check runs on commit against the committed state, before anything is applied; it raises the
# domain error (a uniqueness or version rule another unit broke since this one staged its rows).
CommitCheck = Callable[[InMemoryStore], None]


class InMemoryUnitOfWork(UnitOfWork):
    """One transaction over InMemoryStore. Commit is synchronous inside, so it is atomic under
    asyncio: no other unit can interleave between its checks and its writes."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._staged: dict[str, dict[Hashable, Any]] = {}
        self._checks: list[CommitCheck] = []
        self._audit: list[AuditEntry] = []

    def stage(self, table: str, key: Hashable, value: Any, check: CommitCheck | None = None) -> None:
        self._staged.setdefault(table, {})[key] = copy.deepcopy(value)
        if check is not None:
            check(self._store)
            self._checks.append(check)

    def read(self, table: str, key: Hashable) -> Any | None:
        staged = self._staged.get(table, {})
        value = staged[key] if key in staged else self._store.table(table).get(key)
        return copy.deepcopy(value)

    def rows(self, table: str) -> Iterator[Any]:
        merged = {**self._store.table(table), **self._staged.get(table, {})}
        return (copy.deepcopy(value) for value in merged.values())

    def record(self, *entries: AuditEntry) -> None:
        self._audit.extend(entries)

    async def commit(self) -> None:
        try:
            for check in self._checks:
                check(self._store)
            for table, rows in self._staged.items():
                self._store.table(table).update(rows)
            self._store.audit.extend(self._audit)
        finally:
            self._clear()

    async def rollback(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self._staged.clear()
        self._checks.clear()
        self._audit.clear()
