"""WhatsApp webhook notifications -> StatusUpdates.

A notification (``object: whatsapp_business_account``) carries entries of changes; a change of
field ``messages`` carries ``statuses`` (about messages we sent) and/or ``messages`` (inbound,
ignored for now). Unknown fields and unknown status values are ignored, so that Graph adding
something never makes us refuse (and Meta re-deliver) a notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import msgspec

from adapters.whatsapp.errors import failure_class
from application.ports.messaging import PermanentSendFailure, StatusUpdate
from domain.messaging import MessageStatus

_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "failed": MessageStatus.FAILED,
}


class WebhookPayloadInvalid(ValueError):
    """The (authentic) body is not a notification we can read."""


class StatusError(msgspec.Struct):
    code: int | None = None
    title: str = ""


class Status(msgspec.Struct):
    id: str
    status: str
    timestamp: str
    errors: list[StatusError] = msgspec.field(default_factory=list)
    biz_opaque_callback_data: str = ""


class ChangeValue(msgspec.Struct):
    statuses: list[Status] = msgspec.field(default_factory=list)
    messages: list[msgspec.Raw] = msgspec.field(default_factory=list)


class Change(msgspec.Struct):
    field: str = ""
    value: ChangeValue = msgspec.field(default_factory=ChangeValue)


class Entry(msgspec.Struct):
    changes: list[Change] = msgspec.field(default_factory=list)


class Notification(msgspec.Struct):
    object: str = ""
    entry: list[Entry] = msgspec.field(default_factory=list)


_DECODER = msgspec.json.Decoder(Notification)


def _our_id(status: Status) -> UUID | None:
    try:
        return UUID(status.biz_opaque_callback_data) if status.biz_opaque_callback_data else None
    except ValueError:
        return None  # set by another sender on the same number, not by us


def _update(status: Status) -> StatusUpdate | None:
    kind = _STATUSES.get(status.status)
    if kind is None:
        return None
    try:
        at = datetime.fromtimestamp(int(status.timestamp), UTC)
    except (ValueError, OverflowError, OSError) as bad:
        raise WebhookPayloadInvalid("status timestamp is not epoch seconds") from bad
    error = status.errors[0] if kind is MessageStatus.FAILED and status.errors else None
    return StatusUpdate(
        provider_message_id=status.id,
        status=kind,
        at=at,
        error_code=str(error.code) if error and error.code is not None else None,
        error_reason=(error.title[:300] or None) if error else None,
        permanent=error is not None and failure_class(error.code) is PermanentSendFailure,
        message_id=_our_id(status),
    )


@dataclass(frozen=True, slots=True)
class WebhookContents:
    statuses: tuple[StatusUpdate, ...]  # in the order sent, duplicates kept (applying is idempotent)
    inbound_messages: int  # acknowledged, not handled yet


def read_notification(body: bytes) -> WebhookContents:
    """What ``body`` (a webhook notification) reports. Raises WebhookPayloadInvalid when it is
    not a notification."""
    try:
        notification = _DECODER.decode(body)
    except msgspec.DecodeError as error:
        raise WebhookPayloadInvalid(str(error)) from error
    changes = [change.value for entry in notification.entry for change in entry.changes]
    updates = (_update(status) for value in changes for status in value.statuses)
    return WebhookContents(
        statuses=tuple(update for update in updates if update is not None),
        inbound_messages=sum(len(value.messages) for value in changes),
    )
