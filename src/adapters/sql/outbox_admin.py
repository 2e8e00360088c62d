"""OutboxAdmin and DeliveryStatuses over SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql.errors import translated
from adapters.sql.outbox_codec import OutboxCodec
from adapters.sql.outbox_records import OUTBOX
from adapters.sql.tenancy import SCOPE_KEY
from application.ports.clock import Clock
from application.ports.messaging import DeliveryStatuses, StatusUpdate
from application.ports.outbox_admin import OutboxAdmin, OutboxBacklog, OutboxCount, OutboxEntry
from domain.message_delivery import failure_reason, reported_transition
from domain.messaging import Channel, MessageStatus

S = MessageStatus
T = OUTBOX


class SqlOutboxAdmin(OutboxAdmin):
    """In the request's session (the caller's unit of work commits); the operator's CLI runs it
    with the system scope, so every clinic's messages are visible."""

    def __init__(self, session: AsyncSession, codec: OutboxCodec) -> None:
        self._session = session
        self._codec = codec

    async def find(self, *, status: MessageStatus | None, limit: int) -> Sequence[OutboxEntry]:
        statement = select(T).order_by(T.c.created_at.desc(), T.c.id.desc()).limit(limit)
        if status is not None:
            statement = statement.where(T.c.status == status.value)
        async with translated(self._session):
            rows = (await self._session.execute(statement)).mappings().all()
        return [self._codec.entry(row) for row in rows]

    async def get(self, message_id: UUID) -> OutboxEntry | None:
        async with translated(self._session):
            row = (await self._session.execute(select(T).where(T.c.id == message_id))).mappings().first()
        return None if row is None else self._codec.entry(row)

    async def requeue(
        self, message_id: UUID, *, expected: MessageStatus, now: datetime, reset_attempts: bool
    ) -> bool:
        values: dict[str, Any] = {
            "status": S.PENDING.value,
            "next_attempt_at": now,
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now,
        }
        if reset_attempts:
            values["attempts"] = 0
        statement = update(T).where(T.c.id == message_id, T.c.status == expected.value).values(values)
        async with translated(self._session):
            result = await self._session.execute(statement)
        return cast(CursorResult[Any], result).rowcount == 1

    async def counts(self) -> Sequence[OutboxCount]:
        statement = select(T.c.channel, T.c.status, func.count(), func.min(T.c.created_at)).group_by(
            T.c.channel, T.c.status
        )
        async with translated(self._session):
            rows = (await self._session.execute(statement)).all()
        return [
            OutboxCount(channel=Channel(channel), status=S(status), count=int(count), oldest=oldest)
            for channel, status, count, oldest in rows
        ]

    async def backlog(self, *, now: datetime) -> OutboxBacklog:
        statement = select(func.count(), func.min(T.c.next_attempt_at)).where(
            T.c.status == S.PENDING.value, T.c.next_attempt_at <= now
        )
        async with translated(self._session):
            count, oldest = (await self._session.execute(statement)).one()
        return OutboxBacklog(due=int(count), oldest_due_since=oldest)


class SqlDeliveryStatuses(DeliveryStatuses):
    """Each update is one conditional UPDATE in a transaction of its own, as the system: the
    WHERE clause holds the forward-only rule, so duplicates and reordered updates, even applied
    concurrently, change a message at most once per step."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def apply(self, update_: StatusUpdate) -> bool:
        transition = reported_transition(update_.status, permanent=update_.permanent)
        if transition is None:
            return False
        target = transition.target
        match = T.c.provider_message_id == update_.provider_message_id
        if update_.message_id is not None:
            match = or_(match, (T.c.id == update_.message_id) & T.c.provider_message_id.is_(None))
        values: dict[str, Any] = {
            "status": target.value,
            "provider_message_id": func.coalesce(T.c.provider_message_id, update_.provider_message_id),
            "updated_at": self._clock.now(),
        }
        if update_.status is S.FAILED:
            values["last_error"] = failure_reason(update_.error_code, update_.error_reason)
        if target is S.PENDING:
            values["next_attempt_at"] = update_.at
        else:
            values["sent_at"] = func.coalesce(T.c.sent_at, literal(update_.at, T.c.sent_at.type))
        statement = (
            update(T).where(match, T.c.status.in_([s.value for s in transition.source])).values(values)
        )
        async with self._sessions() as session, translated(session):
            session.info[SCOPE_KEY] = ("*", "")  # webhooks carry no clinic: the system applies them
            result = await session.execute(statement)
            await session.commit()
        return cast(CursorResult[Any], result).rowcount > 0
