"""Every column sealed with the PHI key ring, and the context (AAD) each value is bound to.

The contexts here must equal the ones the adapters seal with (user_codec, patients, appointments,
prescriptions, consent, outbox_codec, idempotency): key rotation decrypts and re-encrypts under
them, and tests/contract/test_contract_key_rotation.py reads every kind back through its adapter
after a rotation, so a drift fails there. A new sealed column is added here, or rotation would
leave it under a retired key (and unreadable once that key leaves the ring).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SealedColumn:
    table: str
    column: str
    context: Callable[[Any], bytes]  # of a row of ``table`` (every column selected)


def _by_id(prefix: str) -> Callable[[Any], bytes]:
    return lambda row: f"{prefix}:{row.id}".encode()


def _by_clinic_and_id(prefix: str) -> Callable[[Any], bytes]:
    return lambda row: f"{prefix}:{row.clinic_id}:{row.id}".encode()


SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    SealedColumn("users", "name_sealed", _by_id("users.name")),
    SealedColumn("users", "email_sealed", _by_id("users.email")),
    SealedColumn("users", "phone_sealed", _by_id("users.phone")),
    SealedColumn("patients", "sealed", _by_clinic_and_id("patients.sealed")),
    SealedColumn("appointments", "reason_sealed", _by_clinic_and_id("appointments.reason")),
    SealedColumn(
        "appointments", "cancelled_reason_sealed", _by_clinic_and_id("appointments.cancelled_reason")
    ),
    SealedColumn("prescriptions", "content_sealed", _by_clinic_and_id("prescriptions.content")),
    SealedColumn("emergency_grants", "reason_sealed", _by_id("emergency_grants.reason")),
    SealedColumn("outbox_messages", "recipient_sealed", _by_id("outbox_messages.recipient")),
    SealedColumn("outbox_messages", "parameters_sealed", _by_id("outbox_messages.parameters")),
    SealedColumn(
        "outbox_messages", "provider_recipient_sealed", _by_id("outbox_messages.provider_recipient")
    ),
    SealedColumn(
        "idempotency_keys",
        "response_sealed",
        lambda row: f"idempotency_keys.response:{row.clinic_id}:{row.scope}:{row.key}".encode(),
    ),
)
