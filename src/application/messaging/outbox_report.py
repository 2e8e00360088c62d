"""What is in the outbox, for operators: recent messages, and counts by channel and status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.outbox_admin import OutboxAdmin, OutboxBacklog, OutboxCount, OutboxEntry
from domain.messaging import MessageStatus

MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class ListMessagesQuery:
    status: MessageStatus | None = None
    limit: int = 50


class ListOutboundMessages:
    """The newest messages (of one status when asked), at most 1000. Entries carry no
    parameters; recipients are for the caller to mask (``mask_recipient``)."""

    def __init__(self, admin: OutboxAdmin) -> None:
        self._admin = admin

    async def __call__(self, query: ListMessagesQuery) -> Sequence[OutboxEntry]:
        return await self._admin.find(status=query.status, limit=max(1, min(query.limit, MAX_LIMIT)))


class CountOutboundMessages:
    """How many messages there are per channel and status, with the oldest of each."""

    def __init__(self, admin: OutboxAdmin) -> None:
        self._admin = admin

    async def __call__(self) -> Sequence[OutboxCount]:
        counts = await self._admin.counts()
        return sorted(counts, key=lambda c: (c.channel.value, c.status.value))


class MeasureOutboxBacklog:
    """How many messages are due and not yet sent, and since when the oldest of them is due (for
    monitoring: a growing backlog means the relays are down or throttled)."""

    def __init__(self, admin: OutboxAdmin, clock: Clock) -> None:
        self._admin = admin
        self._clock = clock

    async def __call__(self) -> tuple[OutboxBacklog, float]:
        """The backlog and the age of its oldest due message in seconds (0 when none is due)."""
        now = self._clock.now()
        backlog = await self._admin.backlog(now=now)
        since = backlog.oldest_due_since
        return backlog, 0.0 if since is None else max(0.0, (now - since).total_seconds())


def mask_recipient(recipient: str) -> str:
    """Enough of an address to tell messages apart, not enough to read it out: ``j***@example.org``,
    ``+44*******789``."""
    if "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(recipient) <= 6:
        return "*" * len(recipient)
    return recipient[:3] + "*" * (len(recipient) - 6) + recipient[-3:]
