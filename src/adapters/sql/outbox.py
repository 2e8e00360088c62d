"""Outbox over SQLAlchemy: messages staged in the caller's transaction (the unit of work's session)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.errors import translated
from adapters.sql.outbox_codec import OutboxCodec
from adapters.sql.outbox_records import OUTBOX
from application.ports.messaging import Outbox, PendingMessages
from domain.messaging import MessageStatus, OutboundMessage


class SqlOutbox(Outbox, PendingMessages):
    """``add`` inserts into ``session``'s transaction: the message commits or rolls back with the
    business change. A second message with the same (clinic, idempotency key), even from a
    concurrent transaction, is skipped by ``ON CONFLICT DO NOTHING`` (the second waits for the
    first to commit or roll back)."""

    def __init__(self, session: AsyncSession, codec: OutboxCodec) -> None:
        self._session = session
        self._codec = codec

    async def add(self, message: OutboundMessage) -> None:
        table = OUTBOX
        insert_ = pg_insert if self._session.get_bind().dialect.name == "postgresql" else sqlite_insert
        # No conflict target on purpose: naming the arbiter columns makes PostgreSQL check the new
        # row against the SELECT policies too, which refuses a sign-in code added before anyone is
        # known. The only unique keys are (clinic, id) and (clinic, idempotency key): either
        # conflict means the message is there already.
        statement = insert_(table).values(self._codec.row(message)).on_conflict_do_nothing()
        async with translated(self._session):
            await self._session.execute(statement)

    async def void(
        self, clinic_id: UUID, *, key_prefix: str, keep: Collection[str] = (), now: datetime
    ) -> int:
        table = OUTBOX
        pending = table.c.status == MessageStatus.PENDING.value
        found = select(table.c.id, table.c.idempotency_key).where(
            table.c.clinic_id == clinic_id,
            pending,
            table.c.idempotency_key.startswith(key_prefix, autoescape=True),
        )
        voided = 0
        async with translated(self._session):
            rows = (await self._session.execute(found)).all()
            for message_id, key in rows:
                if key in keep:
                    continue
                # Re-checked: a relay that claimed the message meanwhile is sending it; leave it be.
                statement = (
                    update(table)
                    .where(table.c.clinic_id == clinic_id, table.c.id == message_id, pending)
                    .values(
                        status=MessageStatus.VOID.value,
                        idempotency_key=f"{key}#void:{message_id}",
                        updated_at=now,
                    )
                )
                result = await self._session.execute(statement)
                voided += cast(CursorResult[Any], result).rowcount
        return voided
