"""One outbox per backend (memory, SQLite, PostgreSQL) for the outbox contract suites: units of
work that add messages, the relay's store, the operator's view, delivery statuses, and raw rows."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.memory.outbox import InMemoryOutbox, InMemoryOutboxAdmin
from adapters.memory.outbox_relay import InMemoryOutboxDeliveryStatuses, InMemoryOutboxStore
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.engine import session_factory
from adapters.sql.migrate import migrate
from adapters.sql.outbox import SqlOutbox
from adapters.sql.outbox_admin import SqlDeliveryStatuses, SqlOutboxAdmin
from adapters.sql.outbox_codec import OutboxCodec
from adapters.sql.outbox_records import OUTBOX
from adapters.sql.outbox_relay import SqlOutboxStore
from adapters.sql.tenancy import SCOPE_KEY
from adapters.sql.uow import SqlUnitOfWork
from adapters.system.ids import UuidV7Generator
from application.ports.clock import Clock
from application.ports.messaging import DeliveryStatuses, Outbox, OutboxStore
from application.ports.outbox_admin import OutboxAdmin
from application.ports.uow import UnitOfWork
from domain.messaging import Channel, OutboundMessage, Template


def _contract_conftest() -> Any:
    # By path: `import conftest` names whichever conftest pytest loaded last (tests/unit has one too).
    path = Path(__file__).with_name("conftest.py")
    spec = importlib.util.spec_from_file_location("outbox_contract_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_CONTRACT = _contract_conftest()
SQL_BACKENDS = _CONTRACT.SQL_BACKENDS
ALL_BACKENDS = _CONTRACT.ALL_BACKENDS
CIPHER = AesGcmFieldCipher("t1", {"t1": bytes(range(32))})
CODEC = OutboxCodec(CIPHER)
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_IDS = UuidV7Generator()


def message(
    *,
    key: str | None = None,
    clinic_id: UUID | None = None,
    channel: Channel = Channel.EMAIL,
    recipient: str = "patient.one@example.org",
    template: Template = Template.OTP,
    parameters: dict[str, str] | None = None,
    not_before: datetime = START,
    expires_at: datetime | None = None,
) -> OutboundMessage:
    message_id = _IDS.new_id()
    return OutboundMessage(
        id=message_id,
        channel=channel,
        recipient=recipient,
        template=template,
        parameters={"code": "493817", "ttl_minutes": "5"} if parameters is None else parameters,
        idempotency_key=key or f"test:{message_id}",
        not_before=not_before,
        expires_at=expires_at,
        clinic_id=clinic_id,
        created_at=START - timedelta(seconds=1),
    )


@dataclass(frozen=True, slots=True)
class OutboxUnit:
    outbox: Outbox
    admin: OutboxAdmin
    uow: UnitOfWork


@dataclass
class OutboxBackend:
    name: str
    open_unit: Callable[[], OutboxUnit]
    new_store: Callable[[], OutboxStore]  # what one more relay would use
    statuses: Callable[[Clock], DeliveryStatuses]
    engine: AsyncEngine | None = None
    make: Any = None  # the sessionmaker (SQL), for sessions with a scope of a test's choosing
    sessions: list[AsyncSession] = field(default_factory=list)

    async def add(self, *messages: OutboundMessage) -> None:
        unit = self.open_unit()
        for m in messages:
            await unit.outbox.add(m)
        await unit.uow.commit()

    async def entry(self, message_id: UUID) -> Any:
        unit = self.open_unit()
        try:
            return await unit.admin.get(message_id)
        finally:
            await unit.uow.rollback()  # gives the connection back at once

    async def raw_rows(self) -> list[dict[str, Any]]:
        """Every stored column of every message, as the database holds it (SQL only)."""
        assert self.engine is not None
        async with self.engine.connect() as connection:
            return [dict(row) for row in (await connection.execute(select(OUTBOX))).mappings()]


@asynccontextmanager
async def outbox_backend(kind: str, tmp_path: Path) -> AsyncIterator[OutboxBackend]:
    if kind == "memory":
        store = InMemoryStore()

        def memory_unit() -> OutboxUnit:
            uow = InMemoryUnitOfWork(store)
            return OutboxUnit(InMemoryOutbox(uow), InMemoryOutboxAdmin(uow), uow)

        yield OutboxBackend(
            "memory",
            memory_unit,
            lambda: InMemoryOutboxStore(store),
            lambda clock: InMemoryOutboxDeliveryStatuses(store, clock),
        )
        return
    async with _CONTRACT._open_engine(kind, tmp_path) as engine:
        role = _CONTRACT.app_role_of(engine)
        await migrate(engine, app_role=role)
        make = session_factory(engine, app_role=role)
        backend = OutboxBackend(
            kind,
            lambda: _sql_unit(backend, make),
            lambda: SqlOutboxStore(make, CODEC),
            lambda clock: SqlDeliveryStatuses(make, clock),
            engine=engine,
            make=make,
        )
        try:
            yield backend
        finally:
            for session in backend.sessions:
                await session.close()


def _sql_unit(backend: OutboxBackend, make: Any) -> OutboxUnit:
    session = make()
    session.info[SCOPE_KEY] = ("*", "")  # the system scope, as the operator's CLI and the relay
    backend.sessions.append(session)
    return OutboxUnit(SqlOutbox(session, CODEC), SqlOutboxAdmin(session, CODEC), SqlUnitOfWork(session))
