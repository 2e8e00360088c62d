"""Outbound messages to and from outbox rows, sealing what identifies or concerns a person."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from adapters.sql.outbox_records import PLATFORM_CLINIC
from adapters.sql.values import as_uuid
from application.ports.crypto import FieldCipher
from application.ports.outbox_admin import OutboxEntry
from domain.messaging import Channel, MessageStatus, OutboundMessage, Template

Row = Mapping[Any, Any]


def clinic_column(clinic_id: UUID | None) -> UUID:
    return PLATFORM_CLINIC if clinic_id is None else clinic_id


def clinic_of(value: Any) -> UUID | None:
    clinic = as_uuid(value)
    return None if clinic == PLATFORM_CLINIC else clinic


class OutboxCodec:
    """Recipient, parameters and the provider's recipient id are sealed with the PHI key ring,
    each bound to its column and row (the AEAD context), so a ciphertext moved elsewhere does not
    decrypt. Parameters are sealed as one JSON object: an OTP code or a clinical detail never
    reaches the table in the clear."""

    def __init__(self, cipher: FieldCipher) -> None:
        self._cipher = cipher

    def row(self, message: OutboundMessage) -> dict[str, Any]:
        parameters = json.dumps(dict(message.parameters), sort_keys=True, separators=(",", ":"))
        return {
            "clinic_id": clinic_column(message.clinic_id),
            "id": message.id,
            "channel": message.channel.value,
            "template": message.template.value,
            "recipient_sealed": self.seal(message.id, "recipient", message.recipient),
            "parameters_sealed": self.seal(message.id, "parameters", parameters),
            "idempotency_key": message.idempotency_key,
            "status": MessageStatus.PENDING.value,
            "attempts": 0,
            "not_before": message.not_before,
            "next_attempt_at": message.not_before,
            "expires_at": message.expires_at,
            "created_at": message.created_at,
            "updated_at": message.created_at,
        }

    def message(self, row: Row) -> OutboundMessage:
        """Raises ValueError when a sealed field does not open (a key missing from the ring)."""
        message_id = as_uuid(row["id"])
        return OutboundMessage(
            id=message_id,
            channel=Channel(row["channel"]),
            recipient=self.open(message_id, "recipient", row["recipient_sealed"]),
            template=Template(row["template"]),
            parameters=json.loads(self.open(message_id, "parameters", row["parameters_sealed"])),
            idempotency_key=row["idempotency_key"],
            not_before=row["not_before"],
            expires_at=row["expires_at"],
            clinic_id=clinic_of(row["clinic_id"]),
            created_at=row["created_at"],
        )

    def entry(self, row: Row) -> OutboxEntry:
        message_id = as_uuid(row["id"])
        return OutboxEntry(
            id=message_id,
            clinic_id=clinic_of(row["clinic_id"]),
            channel=Channel(row["channel"]),
            template=Template(row["template"]),
            recipient=self.open(message_id, "recipient", row["recipient_sealed"]),
            idempotency_key=row["idempotency_key"],
            status=MessageStatus(row["status"]),
            attempts=int(row["attempts"]),
            next_attempt_at=row["next_attempt_at"],
            last_error=row["last_error"],
            provider_message_id=row["provider_message_id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    def seal(self, message_id: UUID, column: str, value: str) -> bytes:
        return self._cipher.encrypt(value.encode(), context=f"outbox_messages.{column}:{message_id}".encode())

    def open(self, message_id: UUID, column: str, sealed: bytes) -> str:
        context = f"outbox_messages.{column}:{message_id}".encode()
        return self._cipher.decrypt(bytes(sealed), context=context).decode()
