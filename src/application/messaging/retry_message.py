"""Put a failed, dead or uncertain message back in the queue (the operator's decision)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from application.auditing import AuditEntries
from application.ports.clock import Clock
from application.ports.outbox_admin import OutboxAdmin
from application.ports.uow import UnitOfWork
from domain.messaging import MessageStatus

S = MessageStatus
# Sent (or further) was handed to the provider: sending again would be a duplicate the operator
# cannot take back. SENDING is held by a relay. VOID was cancelled on purpose.
RETRYABLE = frozenset({S.FAILED, S.DEAD, S.UNCERTAIN, S.PENDING})


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryMessageCommand:
    message_id: UUID


class RetryOutcome(StrEnum):
    REQUEUED = "requeued"
    NOT_FOUND = "not found"
    NOT_RETRYABLE = "not retryable"
    CHANGED = "changed meanwhile"


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryMessageResult:
    outcome: RetryOutcome
    status: MessageStatus | None = None  # the status found


class RetryMessage:
    """Make a message due again, now.

    - FAILED, DEAD and UNCERTAIN messages start over with no attempts used; an UNCERTAIN one may
      then reach its recipient twice: the operator decides that, the relay never does.
    - A PENDING message (waiting out a backoff) becomes due at once, its attempts kept.
    - SENDING, SENT, DELIVERED, READ and VOID messages are left alone.
    - The change is audited, as the system (the operator's CLI), in the same transaction.
    """

    def __init__(self, admin: OutboxAdmin, uow: UnitOfWork, clock: Clock, audit: AuditEntries) -> None:
        self._admin = admin
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: RetryMessageCommand) -> RetryMessageResult:
        async def work() -> RetryMessageResult:
            entry = await self._admin.get(cmd.message_id)
            if entry is None:
                return RetryMessageResult(outcome=RetryOutcome.NOT_FOUND)
            if entry.status not in RETRYABLE:
                return RetryMessageResult(outcome=RetryOutcome.NOT_RETRYABLE, status=entry.status)
            requeued = await self._admin.requeue(
                entry.id,
                expected=entry.status,
                now=self._clock.now(),
                reset_attempts=entry.status is not S.PENDING,
            )
            if not requeued:
                return RetryMessageResult(outcome=RetryOutcome.CHANGED, status=entry.status)
            self._uow.record(
                self._audit.entry(
                    None,
                    "RETRY_OUTBOUND_MESSAGE",
                    "outbound_message",
                    entry.id,
                    clinic_id=entry.clinic_id,
                    changed_fields=("attempts", "next_attempt_at", "status"),
                )
            )
            await self._uow.commit()
            return RetryMessageResult(outcome=RetryOutcome.REQUEUED, status=entry.status)

        return await self._uow.run(work)
