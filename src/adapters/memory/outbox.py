"""Outbox and OutboxAdmin over the in-memory store (memory profile, tests).

Rows live in the store's ``outbox_messages`` table, keyed by (clinic, idempotency key), so the
key is unique per clinic (messages without a clinic share one space), as on SQL. ``add`` and
``requeue`` are staged in the caller's unit of work; the relay's side (outbox_relay) works on
committed rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from adapters.memory.uow import InMemoryUnitOfWork
from application.ports.messaging import Outbox, PendingMessages
from application.ports.outbox_admin import OutboxAdmin, OutboxBacklog, OutboxCount, OutboxEntry
from domain.messaging import MessageStatus, OutboundMessage

TABLE = "outbox_messages"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    """A stored message and its delivery state (the SQL table's columns)."""

    message: OutboundMessage
    status: MessageStatus = MessageStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime
    lease_owner: str | None = None
    lease_until: datetime | None = None
    provider_message_id: str | None = None
    provider_recipient_id: str | None = None
    last_error: str | None = None
    updated_at: datetime
    sent_at: datetime | None = None

    @property
    def key(self) -> tuple[UUID | None, str]:
        return (self.message.clinic_id, self.message.idempotency_key)

    def entry(self) -> OutboxEntry:
        m = self.message
        return OutboxEntry(
            id=m.id,
            clinic_id=m.clinic_id,
            channel=m.channel,
            template=m.template,
            recipient=m.recipient,
            idempotency_key=m.idempotency_key,
            status=self.status,
            attempts=self.attempts,
            next_attempt_at=self.next_attempt_at,
            last_error=self.last_error,
            provider_message_id=self.provider_message_id,
            created_at=m.created_at,
            updated_at=self.updated_at,
        )


class InMemoryOutbox(Outbox, PendingMessages):
    """``void`` releases a key by letting the next ``add`` with it replace the VOID row (the memory
    store cannot rename a row's key): unlike SQL, the voided message is then gone from the store."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, message: OutboundMessage) -> None:
        key = (message.clinic_id, message.idempotency_key)
        existing: OutboxRow | None = self._uow.read(TABLE, key)
        if existing is not None and existing.status is not MessageStatus.VOID:
            return
        row = OutboxRow(message=message, next_attempt_at=message.not_before, updated_at=message.created_at)
        if existing is None:
            self._uow.stage_new(TABLE, key, row)
        else:
            self._uow.stage(TABLE, key, row)

    async def void(
        self, clinic_id: UUID, *, key_prefix: str, keep: Collection[str] = (), now: datetime
    ) -> int:
        kept = set(keep)
        voided = 0
        for row in list(self._uow.rows(TABLE)):
            m = row.message
            if (
                m.clinic_id == clinic_id
                and row.status is MessageStatus.PENDING
                and m.idempotency_key.startswith(key_prefix)
                and m.idempotency_key not in kept
            ):
                self._uow.stage(
                    TABLE, row.key, dataclasses.replace(row, status=MessageStatus.VOID, updated_at=now)
                )
                voided += 1
        return voided


class InMemoryOutboxAdmin(OutboxAdmin):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _rows(self) -> Iterator[OutboxRow]:
        return self._uow.rows(TABLE)

    async def find(self, *, status: MessageStatus | None, limit: int) -> Sequence[OutboxEntry]:
        rows = [r for r in self._rows() if status is None or r.status is status]
        rows.sort(key=lambda r: (r.message.created_at, r.message.id), reverse=True)
        return [r.entry() for r in rows[:limit]]

    async def get(self, message_id: UUID) -> OutboxEntry | None:
        row = self._find(message_id)
        return None if row is None else row.entry()

    async def requeue(
        self, message_id: UUID, *, expected: MessageStatus, now: datetime, reset_attempts: bool
    ) -> bool:
        row = self._find(message_id)
        if row is None or row.status is not expected:
            return False
        changed = dataclasses.replace(
            row,
            status=MessageStatus.PENDING,
            attempts=0 if reset_attempts else row.attempts,
            next_attempt_at=now,
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )
        self._uow.stage(TABLE, row.key, changed)
        return True

    async def counts(self) -> Sequence[OutboxCount]:
        found: dict[tuple[object, object], OutboxCount] = {}
        for row in self._rows():
            key = (row.message.channel, row.status)
            seen = found.get(key)
            oldest = row.message.created_at if seen is None else min(seen.oldest, row.message.created_at)
            found[key] = OutboxCount(
                channel=row.message.channel,
                status=row.status,
                count=1 if seen is None else seen.count + 1,
                oldest=oldest,
            )
        return list(found.values())

    async def backlog(self, *, now: datetime) -> OutboxBacklog:
        due = [
            r.next_attempt_at
            for r in self._rows()
            if r.status is MessageStatus.PENDING and r.next_attempt_at <= now
        ]
        return OutboxBacklog(due=len(due), oldest_due_since=min(due, default=None))

    def _find(self, message_id: UUID) -> OutboxRow | None:
        return next((r for r in self._rows() if r.message.id == message_id), None)
