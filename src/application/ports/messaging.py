"""Messaging ports: use cases add to the outbox; the relay hands messages to channels."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from domain.messaging import OutboundMessage


class Outbox(Protocol):
    """Outbound messages, written in the caller's unit of work."""

    @abstractmethod
    async def add(self, message: OutboundMessage) -> None:
        """Stage ``message`` in the current unit of work: it becomes deliverable when the unit
        commits and is gone if it rolls back. A message whose idempotency key is already in the
        outbox is ignored, not an error."""
        ...
