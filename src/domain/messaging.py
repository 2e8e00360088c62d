"""Outbound messages: what a patient or user is promised, from the moment it is promised.

A message is added to the outbox in the same transaction as the business change that promises
it, and a relay delivers it later. It moves only forward:

    PENDING -> SENDING (claimed under a lease) -> SENT -> DELIVERED -> READ
                     \\-> PENDING (retry after backoff)   \\-> FAILED (permanent, with a reason)
                     \\-> UNCERTAIN (the request left, no answer: reconciled from status webhooks)
                     \\-> DEAD (attempts exhausted: kept for an operator, never dropped)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Channel(StrEnum):
    EMAIL = "email"
    WHATSAPP = "whatsapp"


class Template(StrEnum):
    """Logical templates; each channel maps them to its own (a WhatsApp template name, an email body)."""

    OTP = "otp"
    APPOINTMENT_CONFIRMATION = "appointment_confirmation"
    APPOINTMENT_REMINDER = "appointment_reminder"
    APPOINTMENT_CANCELLATION = "appointment_cancellation"
    PRESCRIPTION_NOTICE = "prescription_notice"


class MessageStatus(StrEnum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    UNCERTAIN = "UNCERTAIN"
    FAILED = "FAILED"
    DEAD = "DEAD"
    VOID = "VOID"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundMessage:
    """One message to one recipient. ``parameters`` may hold secrets (an OTP code) or PHI: stores
    seal them, logs never print them. ``idempotency_key`` is unique: adding a message whose key
    exists already adds nothing (a retried use case promises nothing twice)."""

    id: UUID
    channel: Channel
    recipient: str  # an email address, or a phone number in E.164
    template: Template
    parameters: Mapping[str, str] = field(default_factory=dict)
    idempotency_key: str
    not_before: datetime
    expires_at: datetime | None = None  # an OTP past its life is not worth sending
    clinic_id: UUID | None = None
    created_at: datetime
