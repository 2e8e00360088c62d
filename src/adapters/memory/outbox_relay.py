"""OutboxStore and DeliveryStatuses over the in-memory store. No method awaits, so each is
atomic under asyncio: two relays in one process never claim the same message."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime

from adapters.memory.outbox import TABLE, OutboxRow
from adapters.memory.store import InMemoryStore
from application.ports.clock import Clock
from application.ports.messaging import (
    ClaimedMessage,
    DeliveryStatuses,
    OutboxStore,
    Settlement,
    StatusUpdate,
)
from domain.message_delivery import failure_reason, reported_transition
from domain.messaging import Channel, MessageStatus

S = MessageStatus


class InMemoryOutboxStore(OutboxStore):
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def claim(
        self,
        *,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        channels: Collection[Channel],
    ) -> Sequence[ClaimedMessage]:
        table = self._store.table(TABLE)
        due = sorted(
            (
                row
                for row in table.values()
                if row.status in (S.PENDING, S.SENDING)
                and row.next_attempt_at <= now
                and row.message.channel in channels
            ),
            key=lambda row: (row.next_attempt_at, row.message.id),
        )[:limit]
        claims = []
        for row in due:
            # Like SQL, a claim makes the row due again when its lease ends (a relay that dies
            # leaves it SENDING; the next claim after the lease takes it back).
            claimed = dataclasses.replace(
                row,
                status=S.SENDING,
                attempts=row.attempts + 1,
                lease_owner=owner,
                lease_until=lease_until,
                next_attempt_at=lease_until,
                updated_at=now,
            )
            table[row.key] = claimed
            claims.append(
                ClaimedMessage(
                    message=row.message, attempt=claimed.attempts, lease_owner=owner, lease_until=lease_until
                )
            )
        return claims

    async def settle(self, claim: ClaimedMessage, settlement: Settlement, *, now: datetime) -> bool:
        table = self._store.table(TABLE)
        key = (claim.message.clinic_id, claim.message.idempotency_key)
        row: OutboxRow | None = table.get(key)
        if (
            row is None
            or row.status is not S.SENDING
            or row.lease_owner != claim.lease_owner
            or row.attempts != claim.attempt
        ):
            return False
        delivery = settlement.delivery
        table[key] = dataclasses.replace(
            row,
            status=settlement.status,
            attempts=row.attempts if settlement.attempt_counted else row.attempts - 1,
            next_attempt_at=settlement.next_attempt_at or row.next_attempt_at,
            lease_owner=None,
            lease_until=None,
            last_error=None if settlement.status is S.SENT else settlement.error or row.last_error,
            provider_message_id=delivery.provider_message_id if delivery else row.provider_message_id,
            provider_recipient_id=delivery.provider_recipient_id if delivery else row.provider_recipient_id,
            sent_at=now if settlement.status is S.SENT else row.sent_at,
            updated_at=now,
        )
        return True


class InMemoryOutboxDeliveryStatuses(DeliveryStatuses):
    """DeliveryStatuses over the memory outbox's rows (the memory profile)."""

    def __init__(self, store: InMemoryStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def apply(self, update: StatusUpdate) -> bool:
        transition = reported_transition(update.status, permanent=update.permanent)
        if transition is None:
            return False
        table = self._store.table(TABLE)
        for key, row in table.items():
            if not _matches(row, update) or row.status not in transition.source:
                continue
            target = transition.target
            table[key] = dataclasses.replace(
                row,
                status=target,
                provider_message_id=row.provider_message_id or update.provider_message_id,
                next_attempt_at=update.at if target is S.PENDING else row.next_attempt_at,
                last_error=failure_reason(update.error_code, update.error_reason)
                if update.status is S.FAILED
                else row.last_error,
                sent_at=row.sent_at or (update.at if target is not S.PENDING else None),
                updated_at=self._clock.now(),
            )
            return True
        return False


def _matches(row: OutboxRow, update: StatusUpdate) -> bool:
    if update.message_id is not None and row.message.id == update.message_id:
        return row.provider_message_id in (None, update.provider_message_id)
    return row.provider_message_id == update.provider_message_id
