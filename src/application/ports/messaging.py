"""Messaging ports: use cases add to the outbox; the relay hands messages to channels."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.messaging import Channel, MessageStatus, OutboundMessage


class Outbox(Protocol):
    """Outbound messages, written in the caller's unit of work."""

    @abstractmethod
    async def add(self, message: OutboundMessage) -> None:
        """Stage ``message`` in the current unit of work: it becomes deliverable when the unit
        commits and is gone if it rolls back. A message whose idempotency key is already in the
        outbox is ignored, not an error."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """What a channel accepted: the provider's id for the message (WhatsApp ``wamid``, an SMTP
    Message-ID) and the provider's id for the recipient (WhatsApp ``wa_id``) when it gives one."""

    provider_message_id: str | None
    provider_recipient_id: str | None = None


class SendFailure(Exception):
    """Base of what a channel raises instead of returning a Delivery. ``reason`` is safe to store
    and log: a provider error code and title, never the message's parameters."""

    def __init__(self, reason: str, *, retry_after_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_seconds = retry_after_seconds


class TransientSendFailure(SendFailure):
    """Try again later (network errors, provider hiccups, malformed answers)."""


class ChannelThrottled(SendFailure):
    """The provider throttles the whole channel: back off globally."""


class RecipientThrottled(SendFailure):
    """The provider throttles this recipient only: delay their messages, not everyone's."""


class ChannelUnauthorized(SendFailure):
    """The channel's credentials are refused: pause the channel, keep messages pending, alert once."""


class PermanentSendFailure(SendFailure):
    """This message can never be sent as it is: fail it with the reason."""


class OutcomeUnknown(SendFailure):
    """The request left but no answer came back: the message may have been sent. Mark it
    uncertain and reconcile from status webhooks; never resend blindly."""


class MessageChannel(Protocol):
    """One way to reach people (WhatsApp, email, the console)."""

    channel: Channel

    @abstractmethod
    async def send(self, message: OutboundMessage) -> Delivery:
        """Hand ``message`` to the provider. Returns what it accepted, or raises a SendFailure
        subclass that says what the relay should do next."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusUpdate:
    """A provider's report on a message it accepted (WhatsApp status webhooks)."""

    provider_message_id: str
    status: MessageStatus  # SENT, DELIVERED, READ or FAILED
    at: datetime
    error_code: str | None = None
    error_reason: str | None = None
    permanent: bool = False  # for FAILED: the provider's code says it can never succeed


class DeliveryStatuses(Protocol):
    @abstractmethod
    async def apply(self, update: StatusUpdate) -> bool:
        """Apply ``update`` to the message with that provider id, idempotently and only forward
        (DELIVERED after READ changes nothing; a duplicate changes nothing). Returns whether
        anything changed; an unknown provider id changes nothing."""
        ...
