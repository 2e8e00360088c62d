"""The operator's view of the outbox: list, count, and put a message back in the queue."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.messaging import Channel, MessageStatus, Template


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEntry:
    """One stored message as an operator sees it: its state, never its parameters. ``recipient``
    is in the clear here; whoever shows it masks it."""

    id: UUID
    clinic_id: UUID | None
    channel: Channel
    template: Template
    recipient: str
    idempotency_key: str
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxCount:
    channel: Channel
    status: MessageStatus
    count: int
    oldest: datetime  # the earliest created_at among them


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """Pending messages already due (not the ones scheduled for later, such as reminders)."""

    due: int
    oldest_due_since: datetime | None  # the earliest next attempt among them


class OutboxAdmin(Protocol):
    """Reads and operator changes, in the caller's unit of work (it commits), as the system."""

    @abstractmethod
    async def find(self, *, status: MessageStatus | None, limit: int) -> Sequence[OutboxEntry]:
        """At most ``limit`` messages (of ``status`` when given), newest first."""
        ...

    @abstractmethod
    async def get(self, message_id: UUID) -> OutboxEntry | None: ...

    @abstractmethod
    async def requeue(
        self, message_id: UUID, *, expected: MessageStatus, now: datetime, reset_attempts: bool
    ) -> bool:
        """Stage: the message becomes PENDING and due at ``now`` (its attempts back to 0 with
        ``reset_attempts``), only if it is still ``expected``. Returns whether it was."""
        ...

    @abstractmethod
    async def counts(self) -> Sequence[OutboxCount]:
        """How many messages there are per channel and status."""
        ...

    @abstractmethod
    async def backlog(self, *, now: datetime) -> OutboxBacklog:
        """PENDING messages whose next attempt is at or before ``now``."""
        ...
