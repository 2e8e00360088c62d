"""What the notification dispatcher needs besides its ports: the reminder rules, where links
point, and how a recipient is found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from application.ports.consent import ConsentRepository
from application.ports.repositories import UserRepository
from domain.consent import ConsentScope, has_active
from domain.messaging import OutboundMessage, Template
from domain.notifications import Recipient, ReminderPolicy, choose_recipient


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationPolicy:
    """``public_url``: the API's base URL as patients reach it (MESSAGING_PUBLIC_URL);
    ``link_ttl``: the life of a prescription's document link (PRESCRIPTION_LINK_TTL_HOURS)."""

    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    public_url: str = "http://127.0.0.1:8088"
    link_ttl: timedelta = timedelta(hours=72)

    def document_url(self, prescription_id: UUID, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/api/v1/prescriptions/{prescription_id}/document?token={token}"


async def find_recipient(
    users: UserRepository, consents: ConsentRepository, clinic_id: UUID, patient_id: UUID, now: datetime
) -> Recipient | None:
    """The patient's channel and address (the identity they sign in with), as domain.notifications
    chooses it, or None when there is no way to reach them."""
    user = await users.get(patient_id)
    if user is None:
        return None
    consent = has_active(
        await consents.history(clinic_id, patient_id), ConsentScope.WHATSAPP_NOTIFICATIONS, now
    )
    return choose_recipient(
        phone=str(user.phone) if user.phone else None,
        email=str(user.email) if user.email else None,
        whatsapp_consent=consent,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """A message before it has an id: what, to whom, when, under which key."""

    template: Template
    parameters: dict[str, str]
    key: str
    not_before: datetime
    expires_at: datetime | None

    def message(self, *, id: UUID, recipient: Recipient, clinic_id: UUID, now: datetime) -> OutboundMessage:
        return OutboundMessage(
            id=id,
            channel=recipient.channel,
            recipient=recipient.address,
            template=self.template,
            parameters=self.parameters,
            idempotency_key=self.key,
            not_before=self.not_before,
            expires_at=self.expires_at,
            clinic_id=clinic_id,
            created_at=now,
        )
