"""Fixtures for the contract suites: every test runs against each adapter (memory, SQLite, PostgreSQL).

PostgreSQL: each test gets its own schema ``test_<uuid hex>``, created and dropped through a
separate admin connection; the engine under test reaches it through ``search_path``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.crypto.blind_index import HmacBlindIndexer
from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.memory.audit import InMemoryAuditReader
from adapters.memory.repositories import (
    InMemoryClinicRepository,
    InMemoryLocationRepository,
    InMemoryMembershipRepository,
    InMemoryUserRepository,
)
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.audit import SqlAuditReader
from adapters.sql.engine import EngineOptions, create_engine, session_factory
from adapters.sql.migrate import migrate
from adapters.sql.repositories import (
    SqlClinicRepository,
    SqlLocationRepository,
    SqlMembershipRepository,
    SqlUserRepository,
)
from adapters.sql.tenancy import SCOPE_KEY
from adapters.sql.uow import SqlUnitOfWork
from adapters.sql.user_codec import UserCodec
from adapters.system.ids import UuidV7Generator
from application.ports.audit import AuditReader
from application.ports.repositories import (
    ClinicRepository,
    LocationRepository,
    MembershipRepository,
    UserRepository,
)
from application.ports.uow import UnitOfWork
from domain.audit import AuditEntry
from domain.clinics import Clinic, ClinicLocation
from domain.contact import Email, PhoneNumber
from domain.identity import Membership, Role, User

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# Sealed with a fixed test key: the contract is the same whatever the key.
USER_CODEC = UserCodec(
    AesGcmFieldCipher("t1", {"t1": bytes(range(32))}), HmacBlindIndexer(b"contract-index-key")
)

SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
ALL_BACKENDS = ["memory", *SQL_BACKENDS]


@dataclass(frozen=True, slots=True)
class Unit:
    """What one request sees: the repositories, the unit of work and the audit reader, all
    sharing one transaction."""

    clinics: ClinicRepository
    locations: LocationRepository
    users: UserRepository
    memberships: MembershipRepository
    uow: UnitOfWork
    audit: AuditReader


UnitFactory = Callable[[], Unit]


# The restricted role each PostgreSQL test database's sessions run as (row-level security).
APP_ROLES: dict[int, str] = {}


def app_role_of(engine: AsyncEngine) -> str | None:
    return APP_ROLES.get(id(engine))


def _database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_DATABASE_URL)


def _unreachable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI: {reason}")
    pytest.skip(f"PostgreSQL unreachable: {reason}")


@asynccontextmanager
async def _postgres_engine() -> AsyncIterator[AsyncEngine]:
    schema = f"test_{uuid.uuid4().hex}"
    admin = create_async_engine(_database_url(), poolclass=NullPool, connect_args={"timeout": 5})
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # refused, timed out, unknown database, bad credentials
        await admin.dispose()
        _unreachable(f"{type(exc).__name__}: {exc}")
    engine = create_engine(EngineOptions(url=_database_url(), pool_size=4, search_path=schema))
    role = f"{schema}_app"
    APP_ROLES[id(engine)] = role
    try:
        yield engine
    finally:
        APP_ROLES.pop(id(engine), None)
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            exists = await connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            if exists:
                await connection.execute(text(f'DROP OWNED BY "{role}"'))
                await connection.execute(text(f'DROP ROLE "{role}"'))
        await admin.dispose()


@asynccontextmanager
async def _sqlite_engine(directory: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(EngineOptions(url=f"sqlite+aiosqlite:///{directory}/db/contract.sqlite3"))
    try:
        yield engine
    finally:
        await engine.dispose()


def _open_engine(backend: str, tmp_path: Path) -> Any:
    return _sqlite_engine(tmp_path) if backend == "sqlite" else _postgres_engine()


@pytest.fixture(params=SQL_BACKENDS)
async def sql_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A fresh, empty (not migrated) database per SQL backend."""
    async with _open_engine(request.param, tmp_path) as engine:
        yield engine


def _memory_units() -> UnitFactory:
    store = InMemoryStore()

    def open_unit() -> Unit:
        uow = InMemoryUnitOfWork(store)
        return Unit(
            clinics=InMemoryClinicRepository(uow),
            locations=InMemoryLocationRepository(uow),
            users=InMemoryUserRepository(uow),
            memberships=InMemoryMembershipRepository(uow),
            uow=uow,
            audit=InMemoryAuditReader(store),
        )

    return open_unit


def _sql_unit(session: AsyncSession) -> Unit:
    return Unit(
        clinics=SqlClinicRepository(session),
        locations=SqlLocationRepository(session),
        users=SqlUserRepository(session, USER_CODEC),
        memberships=SqlMembershipRepository(session),
        uow=SqlUnitOfWork(session),
        audit=SqlAuditReader(session),
    )


@pytest.fixture(params=ALL_BACKENDS)
async def units(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitFactory]:
    """A factory of units over one fresh store; call it once per unit of work."""
    if request.param == "memory":
        yield _memory_units()
        return
    async with _open_engine(request.param, tmp_path) as engine:
        role = app_role_of(engine)
        await migrate(engine, app_role=role)
        make_session = session_factory(engine, app_role=role)
        sessions: list[AsyncSession] = []

        def open_unit() -> Unit:
            session = make_session()
            session.info[SCOPE_KEY] = ("*", "")  # the repositories' own contract: system scope
            sessions.append(session)
            return _sql_unit(session)

        try:
            yield open_unit
        finally:
            for session in sessions:
                await session.close()


class Build:
    """Domain objects with fresh UUIDv7 ids and a clock that moves one millisecond per object;
    times carry microseconds, so the round trip proves they are kept."""

    def __init__(self) -> None:
        self._ids = UuidV7Generator()
        self._now = datetime(2025, 3, 14, 9, 26, 53, 589_793, tzinfo=UTC)
        self._serial = 0

    def id(self) -> uuid.UUID:
        return self._ids.new_id()

    def now(self) -> datetime:
        self._now += timedelta(milliseconds=1)
        return self._now

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def clinic(self, **changes: Any) -> Clinic:
        at = self.now()
        fields: dict[str, Any] = {
            "id": self.id(),
            "name": f"Clinic {self._next()}",
            "time_zone": "Europe/Berlin",
            "contact_email": Email("front.desk@example.com"),
            "contact_phone": PhoneNumber("+14155550100"),
            "created_at": at,
            "updated_at": at,
        }
        return Clinic(**(fields | changes))

    def location(self, clinic: Clinic, **changes: Any) -> ClinicLocation:
        fields: dict[str, Any] = {
            "id": self.id(),
            "clinic_id": clinic.id,
            "name": f"Location {self._next()}",
            "address": "1 Main Street",
            "created_at": self.now(),
        }
        return ClinicLocation(**(fields | changes))

    def user(self, **changes: Any) -> User:
        serial = self._next()
        fields: dict[str, Any] = {
            "id": self.id(),
            "email": Email(f"Person.{serial}@Example.com"),
            "phone": PhoneNumber(f"+1415555{serial:04d}"),
            "name": f"Person {serial}",
            "created_at": self.now(),
        }
        return User(**(fields | changes))

    def membership(self, clinic: Clinic, user: User, **changes: Any) -> Membership:
        fields: dict[str, Any] = {
            "clinic_id": clinic.id,
            "user_id": user.id,
            "role": Role.DOCTOR,
            "created_at": self.now(),
        }
        return Membership(**(fields | changes))

    def audit(self, clinic: Clinic | None = None, action: str = "CREATE_CLINIC") -> AuditEntry:
        return AuditEntry(
            id=self.id(),
            occurred_at=self.now(),
            actor_id=self.id(),
            action=action,
            resource_type="clinic",
            resource_id=str(clinic.id if clinic else self.id()),
            clinic_id=clinic.id if clinic else None,
            request_id=f"req-{self._next()}",
        )


@pytest.fixture
def build() -> Build:
    return Build()
