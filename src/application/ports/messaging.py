"""Messaging ports: use cases add to the outbox; the relay hands messages to channels."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.messaging import Channel, MessageStatus, OutboundMessage


class Outbox(Protocol):
    """Outbound messages, written in the caller's unit of work."""

    @abstractmethod
    async def add(self, message: OutboundMessage) -> None:
        """Stage ``message`` in the current unit of work: it becomes deliverable when the unit
        commits and is gone if it rolls back. A message whose idempotency key is already in the
        outbox is ignored, not an error."""
        ...


class PendingMessages(Protocol):
    """Taking back promises not yet kept, in the caller's unit of work (reminders of an appointment
    that was cancelled or moved)."""

    @abstractmethod
    async def void(
        self, clinic_id: UUID, *, key_prefix: str, keep: Collection[str] = (), now: datetime
    ) -> int:
        """Stage: every PENDING message of the clinic whose idempotency key starts with
        ``key_prefix`` and is not in ``keep`` becomes VOID, and its key is released (renamed
        ``<key>#void:<message id>``), so that the same promise can be made again later (an
        appointment moved back to its first time). Messages being sent or already sent are left
        alone. Returns how many were voided."""
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
    # Our own OutboundMessage.id when the provider echoes it (WhatsApp: biz_opaque_callback_data).
    # It is how an UNCERTAIN message, whose provider id never came back, is found and reconciled.
    message_id: UUID | None = None


class DeliveryStatuses(Protocol):
    @abstractmethod
    async def apply(self, update: StatusUpdate) -> bool:
        """Apply ``update`` to the message with that provider id, idempotently and only forward
        (DELIVERED after READ changes nothing; a duplicate changes nothing). Returns whether
        anything changed; an unknown provider id changes nothing. With ``message_id`` the
        message is found by our id when it has no provider id yet (or the same one).
        The transitions are domain.message_delivery's."""
        ...


@dataclass(frozen=True, slots=True)
class Channels:
    """The channels of the running profile, by what they carry. A Channel without an adapter here
    is not delivered: its messages stay PENDING until one is configured."""

    by_channel: Mapping[Channel, MessageChannel]

    def get(self, channel: Channel) -> MessageChannel | None:
        return self.by_channel.get(channel)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedMessage:
    """A message a relay holds: nobody else sends it before ``lease_until``. ``attempt`` counts
    the claims of this message so far, this one included (1 for the first try)."""

    message: OutboundMessage
    attempt: int
    lease_owner: str
    lease_until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Settlement:
    """What became of a claimed message.

    ``status`` is PENDING (due again at ``next_attempt_at``), SENT (with ``delivery``), UNCERTAIN,
    FAILED or DEAD. ``attempt_counted=False`` gives the attempt back (the message was never handed
    to the provider: released, throttled, paused), so it does not bring the message closer to DEAD.
    ``error`` is stored as the message's last error: a reason, never parameters (None keeps the
    stored one; SENT clears it)."""

    status: MessageStatus
    next_attempt_at: datetime | None = None
    attempt_counted: bool = True
    error: str | None = None
    delivery: Delivery | None = None


class OutboxStore(Protocol):
    """The relay's side of the outbox: claiming due messages under a lease, settling each.

    Each call is its own short transaction, apart from any unit of work, and acts as the system
    (every clinic). Several relays, in several processes, may call it at once."""

    @abstractmethod
    async def claim(
        self,
        *,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        channels: Collection[Channel],
    ) -> Sequence[ClaimedMessage]:
        """Take at most ``limit`` due messages of ``channels`` for ``owner`` until ``lease_until``,
        oldest due first. Due: PENDING with ``next_attempt_at <= now``, or SENDING under a lease
        that ended (its relay died). A message is held by one claim at a time: no two concurrent
        callers get the same message. Each claim counts one attempt."""
        ...

    @abstractmethod
    async def settle(self, claim: ClaimedMessage, settlement: Settlement, *, now: datetime) -> bool:
        """Record ``settlement`` if the message is still held by ``claim`` (same owner and attempt,
        still SENDING). Returns False, changing nothing, when the lease was lost (it ran out and
        another relay claimed the message)."""
        ...
