"""One audit store per backend (memory, SQLite, PostgreSQL) for the audit-trail contract suites:
units of work that seal, the chain reader and keeper, and raw tampering past every guard."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from adapters.memory.audit import InMemoryAuditReader
from adapters.memory.audit_chain import (
    HEADS,
    InMemoryAuditChainKeeper,
    InMemoryAuditChainReader,
    sealed_entries,
)
from adapters.memory.repositories import InMemoryClinicRepository, InMemoryLocationRepository
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.audit import SqlAuditReader
from adapters.sql.audit_chain import ENTRY_COLUMNS, sealed_of, sealed_row
from adapters.sql.audit_maintenance import SqlAuditChainKeeper, SqlAuditChainReader
from adapters.sql.audit_records import AuditChainHeadRecord, AuditEntryRecord
from adapters.sql.engine import session_factory
from adapters.sql.migrate import migrate
from adapters.sql.repositories import SqlClinicRepository, SqlLocationRepository
from adapters.sql.tenancy import SCOPE_KEY
from adapters.sql.uow import SqlUnitOfWork
from application.auditing import AuditEntries
from application.ports.audit import AuditChainKeeper, AuditChainReader, AuditReader
from application.ports.clock import Clock, IdGenerator
from application.ports.repositories import ClinicRepository, LocationRepository
from application.ports.uow import UnitOfWork
from domain.audit_chain import UNCONFIGURED_KEY, ChainHead, ChainSealer, SealedEntry


def _contract_conftest() -> Any:
    # By path: `import conftest` names whichever conftest pytest loaded last (tests/unit has one too).
    path = Path(__file__).with_name("conftest.py")
    spec = importlib.util.spec_from_file_location("contract_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


_CONTRACT = _contract_conftest()
Build = _CONTRACT.Build
SEALER = ChainSealer(UNCONFIGURED_KEY)  # what units built without a sealer use
ENTRIES = AuditEntryRecord.__table__
HEAD_TABLE = AuditChainHeadRecord.__table__


@dataclass(frozen=True, slots=True)
class AuditUnit:
    uow: UnitOfWork
    clinics: ClinicRepository
    locations: LocationRepository
    audit: AuditReader


class Tamper:
    """Raw access to the stored chain, past triggers, privileges and row-level security."""

    async def rows(self, chain: str) -> list[SealedEntry]: ...
    async def put(self, sealed: SealedEntry) -> None: ...
    async def remove(self, chain: str, sequence: int) -> None: ...
    async def set_head(self, head: ChainHead) -> None: ...


@dataclass
class AuditBackend:
    name: str
    unit: Callable[..., AuditUnit]  # unit(audit=AuditEntries | None)
    reader: Callable[[], AuditChainReader]
    keeper: Callable[[], AuditChainKeeper]
    tamper: Tamper
    engine: AsyncEngine | None = None
    sessions: Any = None  # the application's session factory (its role, its scope)
    role: str | None = None
    opened: list[AsyncSession] = field(default_factory=list)

    async def release(self) -> None:
        """Close every session opened so far (each holds a pooled connection while in a transaction)."""
        while self.opened:
            await self.opened.pop().close()


class MemoryTamper(Tamper):
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def rows(self, chain: str) -> list[SealedEntry]:
        return list(sealed_entries(self._store, chain))

    async def put(self, sealed: SealedEntry) -> None:
        entries = sealed_entries(self._store, sealed.entry.chain)
        entries[:] = sorted(
            [s for s in entries if s.sequence != sealed.sequence] + [sealed], key=lambda s: s.sequence
        )

    async def remove(self, chain: str, sequence: int) -> None:
        entries = sealed_entries(self._store, chain)
        entries[:] = [s for s in entries if s.sequence != sequence]

    async def set_head(self, head: ChainHead) -> None:
        self._store.table(HEADS)[head.chain] = head


class SqlTamper(Tamper):
    """As the database owner (the test user), with the audit triggers out of the way."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def _unguarded(self) -> AsyncIterator[Any]:
        async with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text("SET LOCAL session_replication_role = replica"))
                yield connection
                return
            found = await connection.execute(
                text(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'audit_entries'"
                )
            )
            triggers = found.all()
            for name, _ in triggers:
                await connection.execute(text(f"DROP TRIGGER {name}"))
            yield connection
            for _, sql in triggers:
                await connection.execute(text(sql))

    async def rows(self, chain: str) -> list[SealedEntry]:
        async with self._engine.connect() as connection:
            stmt = select(*ENTRY_COLUMNS).where(ENTRIES.c.chain == chain).order_by(ENTRIES.c.sequence)
            return [sealed_of(row) for row in (await connection.execute(stmt)).mappings()]

    async def put(self, sealed: SealedEntry) -> None:
        async with self._unguarded() as connection:
            await connection.execute(delete(ENTRIES).where(*_key(sealed.entry.chain, sealed.sequence)))
            await connection.execute(insert(ENTRIES).values(**sealed_row(sealed)))

    async def remove(self, chain: str, sequence: int) -> None:
        async with self._unguarded() as connection:
            await connection.execute(delete(ENTRIES).where(*_key(chain, sequence)))

    async def set_head(self, head: ChainHead) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(HEAD_TABLE)
                .where(HEAD_TABLE.c.chain == head.chain)
                .values(sequence=head.sequence, hash=head.hash)
            )


def _key(chain: str, sequence: int) -> tuple[Any, ...]:
    return (ENTRIES.c.chain == chain, ENTRIES.c.sequence == sequence)


def memory_backend(clock: Clock, ids: IdGenerator) -> AuditBackend:
    store = InMemoryStore()

    def unit(audit: AuditEntries | None = None) -> AuditUnit:
        uow = InMemoryUnitOfWork(store, audit=audit)
        return AuditUnit(
            uow, InMemoryClinicRepository(uow), InMemoryLocationRepository(uow), InMemoryAuditReader(store)
        )

    return AuditBackend(
        "memory",
        unit,
        lambda: InMemoryAuditChainReader(store),
        lambda: InMemoryAuditChainKeeper(store),
        MemoryTamper(store),
    )


async def sql_backend(name: str, engine: AsyncEngine, role: str | None) -> AuditBackend:
    await migrate(engine, app_role=role)
    make = session_factory(engine, app_role=role)
    owner = session_factory(engine)  # pruning deletes: the owner's right, never the app role's
    opened: list[AsyncSession] = []

    def session(factory: Any = make) -> AsyncSession:
        new = factory()
        new.info[SCOPE_KEY] = ("*", "")  # the system's scope: every clinic
        opened.append(new)
        return new

    def unit(audit: AuditEntries | None = None) -> AuditUnit:
        s = session()
        return AuditUnit(
            SqlUnitOfWork(s, audit=audit), SqlClinicRepository(s), SqlLocationRepository(s), SqlAuditReader(s)
        )

    return AuditBackend(
        name,
        unit,
        lambda: SqlAuditChainReader(session()),
        lambda: SqlAuditChainKeeper(session(owner)),
        SqlTamper(engine),
        engine,
        make,
        role,
        opened,
    )


@asynccontextmanager
async def open_backend(
    kind: str, tmp_path: Path, clock: Clock, ids: IdGenerator
) -> AsyncIterator[AuditBackend]:
    if kind == "memory":
        yield memory_backend(clock, ids)
        return
    async with _CONTRACT._open_engine(kind, tmp_path) as engine:
        backend = await sql_backend(kind, engine, _CONTRACT.app_role_of(engine))
        try:
            yield backend
        finally:
            await backend.release()
