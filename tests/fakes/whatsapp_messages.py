"""Messages and channel options for WhatsApp tests, matching the fake's default registry."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from adapters.whatsapp.channel import WhatsAppOptions
from adapters.whatsapp.payloads import TemplateNames
from domain.messaging import Channel, OutboundMessage, Template

TEMPLATE_NAMES = TemplateNames(
    names={
        Template.OTP: "otp_code",
        Template.APPOINTMENT_CONFIRMATION: "appointment_confirmation",
        Template.APPOINTMENT_REMINDER: "appointment_reminder",
        Template.APPOINTMENT_CANCELLATION: "appointment_cancellation",
        Template.PRESCRIPTION_NOTICE: "prescription_ready",
    },
    language="en_US",
)
PARAMETERS: Mapping[Template, Mapping[str, str]] = {
    Template.OTP: {"code": "482913", "ttl_minutes": "10"},
    Template.APPOINTMENT_CONFIRMATION: {"clinic_name": "Harbour Clinic", "starts_at": "Mon 2 Mar 09:30"},
    Template.APPOINTMENT_REMINDER: {"clinic_name": "Harbour Clinic", "starts_at": "Mon 2 Mar 09:30"},
    Template.APPOINTMENT_CANCELLATION: {"clinic_name": "Harbour Clinic", "starts_at": "Mon 2 Mar 09:30"},
    Template.PRESCRIPTION_NOTICE: {
        "clinic_name": "Harbour Clinic",
        "link": "https://clinic.example/p/3f9c2b7e?sig=Yx2k",
    },
}
AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def whatsapp_message(
    template: Template = Template.APPOINTMENT_REMINDER,
    *,
    number: int = 1,
    recipient: str = "+351912345678",
    parameters: Mapping[str, str] | None = None,
) -> OutboundMessage:
    """Message ``number`` (its id ends in that number, as the golden files expect)."""
    return OutboundMessage(
        id=UUID(f"01900000-0000-7000-8000-{number:012d}"),
        channel=Channel.WHATSAPP,
        recipient=recipient,
        template=template,
        parameters=dict(PARAMETERS[template] if parameters is None else parameters),
        idempotency_key=f"test:{number}",
        not_before=AT,
        created_at=AT,
    )


def channel_options(api_url: str = "http://127.0.0.1:9", **changes: Any) -> WhatsAppOptions:
    """Options for the fake's defaults (token, phone number id), unpaced, with short timeouts."""
    options = WhatsAppOptions(
        api_url=api_url,
        api_version="v21.0",
        access_token="test-token",
        phone_number_id="1234567890",
        templates=TEMPLATE_NAMES,
        messages_per_second=0,
        connect_timeout_seconds=1.0,
        request_timeout_seconds=2.0,
    )
    return dataclasses.replace(options, **changes)
