"""The notification dispatcher over the memory adapters, delivered by the relay to recording
channels: what a patient receives, and when."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from relay_world import POLICY

from adapters.memory.appointments import InMemoryAppointmentRepository
from adapters.memory.consent import InMemoryConsentRepository
from adapters.memory.events import InMemoryEventOutbox
from adapters.memory.outbox import InMemoryOutbox, InMemoryOutboxAdmin
from adapters.memory.outbox_relay import InMemoryOutboxStore
from adapters.memory.recording_channel import RecordingChannel
from adapters.memory.repositories import InMemoryClinicRepository, InMemoryUserRepository
from adapters.memory.store import InMemoryStore
from adapters.memory.tenancy import InMemoryTenantScope
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.security.document_links import HmacDocumentLinks
from adapters.system.ids import UuidV7Generator
from application.messaging.dispatch_events import DispatchEvents, DispatchResult
from application.messaging.notification_policy import NotificationPolicy
from application.messaging.relay_messages import RelayMessages
from application.ports.messaging import Channels
from application.ports.outbox_admin import OutboxEntry
from domain.appointments import Appointment, AppointmentStatus
from domain.clinics import Clinic
from domain.consent import ConsentRecord, ConsentScope
from domain.contact import Email, PhoneNumber
from domain.events import DomainEvent, EventKind
from domain.identity import User
from domain.messaging import Channel, MessageStatus, OutboundMessage, Template
from domain.scheduling import Interval

LISBON = ZoneInfo("Europe/Lisbon")
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Lisbon is UTC+1 in summer
STARTS = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)  # 15:00 in Lisbon
H = timedelta(hours=1)
SECRET = b"document-link-test-secret"


@dataclass
class Clinic1:
    clock: Any  # tests/conftest.py's ManualClock
    ids: UuidV7Generator = field(default_factory=UuidV7Generator)
    store: InMemoryStore = field(default_factory=InMemoryStore)
    email: RecordingChannel = field(default_factory=lambda: RecordingChannel(Channel.EMAIL))
    whatsapp: RecordingChannel = field(default_factory=lambda: RecordingChannel(Channel.WHATSAPP))
    clinic_id: UUID = field(default_factory=UuidV7Generator().new_id)
    patient_id: UUID = field(default_factory=UuidV7Generator().new_id)

    def dispatcher(self) -> DispatchEvents:
        uow = InMemoryUnitOfWork(self.store)
        outbox = InMemoryOutbox(uow)
        return DispatchEvents(
            feed=InMemoryEventOutbox(uow),
            outbox=outbox,
            pending=outbox,
            appointments=InMemoryAppointmentRepository(uow),
            clinics=InMemoryClinicRepository(uow),
            users=InMemoryUserRepository(uow),
            consents=InMemoryConsentRepository(uow),
            links=HmacDocumentLinks(SECRET),
            scope=InMemoryTenantScope(),
            uow=uow,
            clock=self.clock,
            ids=self.ids,
            policy=NotificationPolicy(public_url="https://clinic.example/"),
        )

    async def dispatch(self) -> DispatchResult:
        return await self.dispatcher()(limit=100)

    async def relay(self) -> None:
        channels = Channels({Channel.EMAIL: self.email, Channel.WHATSAPP: self.whatsapp})
        relay = RelayMessages(
            InMemoryOutboxStore(self.store), channels, POLICY, self.clock, owner="r", rng=random.Random(1)
        )
        while await relay() >= POLICY.batch_size:
            pass

    async def relay_until(self, end: datetime) -> None:
        """Relay at every moment a message falls due, up to ``end``."""
        await self.relay()
        for entry in await self.outbox():
            if entry.status is MessageStatus.PENDING and self.clock.now() <= entry.next_attempt_at <= end:
                self.clock.current = entry.next_attempt_at
                await self.relay()
        self.clock.current = end

    @property
    def received(self) -> list[OutboundMessage]:
        return [*self.email.sent, *self.whatsapp.sent]

    async def outbox(self) -> list[OutboxEntry]:
        found = await InMemoryOutboxAdmin(InMemoryUnitOfWork(self.store)).find(status=None, limit=1000)
        return sorted(found, key=lambda e: e.next_attempt_at)

    async def seed(self, *, phone: bool = True, email: bool = True, consent: bool = False) -> None:
        uow = InMemoryUnitOfWork(self.store)
        await InMemoryClinicRepository(uow).add(
            Clinic(
                id=self.clinic_id,
                name="Harbour Clinic",
                time_zone="Europe/Lisbon",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await InMemoryUserRepository(uow).add(
            User(
                id=self.patient_id,
                email=Email("pat@example.com") if email else None,
                phone=PhoneNumber("+351912345678") if phone else None,
                name="Pat Doe",
                created_at=NOW,
            )
        )
        if consent:
            await InMemoryConsentRepository(uow).add(
                ConsentRecord(
                    id=self.ids.new_id(),
                    clinic_id=self.clinic_id,
                    patient_id=self.patient_id,
                    scope=ConsentScope.WHATSAPP_NOTIFICATIONS,
                    recorded_at=NOW - H,
                    recorded_by=self.patient_id,
                )
            )
        await uow.commit()

    async def book(self, starts: datetime = STARTS) -> Appointment:
        appointment = Appointment(
            id=self.ids.new_id(),
            clinic_id=self.clinic_id,
            location_id=self.ids.new_id(),
            doctor_id=self.ids.new_id(),
            patient_id=self.patient_id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            status=AppointmentStatus.BOOKED,
            reason="a private reason",
            created_at=NOW,
            created_by=self.patient_id,
            updated_at=NOW,
            updated_by=self.patient_id,
        )
        uow = InMemoryUnitOfWork(self.store)
        await InMemoryAppointmentRepository(uow).add(appointment, now=self.clock.now())
        await self.emit(uow, EventKind.APPOINTMENT_BOOKED, appointment.id)
        return appointment

    async def change(
        self, appointment: Appointment, kind: EventKind, move_to: datetime | None = None
    ) -> None:
        uow = InMemoryUnitOfWork(self.store)
        version, at = appointment.version, self.clock.now()
        if kind is EventKind.APPOINTMENT_CANCELLED:
            appointment.cancel(reason="private", by=self.patient_id, at=at)
        elif move_to is not None:
            appointment.reschedule(
                Interval(move_to, move_to + timedelta(minutes=30)),
                location_id=None,
                by=self.patient_id,
                at=at,
            )
        await InMemoryAppointmentRepository(uow).update(appointment, expected_version=version, now=at)
        await self.emit(uow, kind, appointment.id)

    async def emit(self, uow: InMemoryUnitOfWork, kind: EventKind, subject: UUID, **data: str) -> DomainEvent:
        event = DomainEvent(
            id=self.ids.new_id(),
            clinic_id=self.clinic_id,
            kind=kind,
            subject_id=subject,
            occurred_at=self.clock.now(),
            data=data,
        )
        await InMemoryEventOutbox(uow).add(event)
        await uow.commit()
        return event


@pytest.fixture
def clinic(clock: Any) -> Clinic1:
    clock.current = NOW
    return Clinic1(clock)


def of(
    entries: list[OutboxEntry], template: Template, status: MessageStatus | None = None
) -> list[OutboxEntry]:
    return [e for e in entries if e.template is template and (status is None or e.status is status)]


async def test_a_booking_confirms_at_once_and_reminds_24h_and_2h_before(clinic: Clinic1) -> None:
    await clinic.seed()
    await clinic.book()

    assert await clinic.dispatch() == DispatchResult(handled=1)
    await clinic.relay()

    (confirmation,) = clinic.received
    assert (
        confirmation.template is Template.APPOINTMENT_CONFIRMATION and confirmation.channel is Channel.EMAIL
    )
    assert confirmation.recipient == "pat@example.com"
    assert dict(confirmation.parameters) == {
        "clinic_name": "Harbour Clinic",
        "starts_at": "Wed 10 Jun 2026, 15:00 (Europe/Lisbon)",
    }
    reminders = of(await clinic.outbox(), Template.APPOINTMENT_REMINDER, MessageStatus.PENDING)
    assert [r.next_attempt_at for r in reminders] == [STARTS - 24 * H, STARTS - 2 * H]

    clinic.clock.current = STARTS - 24 * H
    await clinic.relay()
    clinic.clock.current = STARTS - 2 * H
    await clinic.relay()
    assert [m.template for m in clinic.received] == [Template.APPOINTMENT_CONFIRMATION] + [
        Template.APPOINTMENT_REMINDER
    ] * 2


async def test_a_reminder_due_in_quiet_hours_goes_out_the_evening_before(clinic: Clinic1) -> None:
    await clinic.seed()
    early = datetime(2026, 6, 10, 7, 30, tzinfo=UTC)  # 08:30 in Lisbon: the 2 h reminder is 06:30
    await clinic.book(early)
    await clinic.dispatch()
    reminders = of(await clinic.outbox(), Template.APPOINTMENT_REMINDER)
    evening = datetime(2026, 6, 9, 19, 59, tzinfo=UTC)  # 20:59 in Lisbon
    assert sorted(r.next_attempt_at for r in reminders) == [early - 24 * H, evening]


async def test_cancelling_voids_pending_reminders_and_tells_the_patient(clinic: Clinic1) -> None:
    await clinic.seed()
    appointment = await clinic.book()
    await clinic.dispatch()
    await clinic.change(appointment, EventKind.APPOINTMENT_CANCELLED)

    await clinic.dispatch()
    await clinic.relay_until(STARTS)

    assert [m.template for m in clinic.received] == [
        Template.APPOINTMENT_CONFIRMATION,
        Template.APPOINTMENT_CANCELLATION,
    ]
    entries = await clinic.outbox()
    assert {e.status for e in of(entries, Template.APPOINTMENT_REMINDER)} == {MessageStatus.VOID}
    assert all("private" not in v for m in clinic.received for v in m.parameters.values())


async def test_rescheduling_voids_the_old_reminders_and_schedules_new_ones(clinic: Clinic1) -> None:
    await clinic.seed()
    appointment = await clinic.book()
    await clinic.dispatch()
    moved = STARTS + 48 * H
    await clinic.change(appointment, EventKind.APPOINTMENT_RESCHEDULED, move_to=moved)

    await clinic.dispatch()
    await clinic.relay()

    entries = await clinic.outbox()
    assert len(of(entries, Template.APPOINTMENT_REMINDER, MessageStatus.VOID)) == 2
    pending = of(entries, Template.APPOINTMENT_REMINDER, MessageStatus.PENDING)
    assert [e.next_attempt_at for e in pending] == [moved - 24 * H, moved - 2 * H]
    assert [m.parameters["starts_at"] for m in clinic.received] == [
        "Wed 10 Jun 2026, 15:00 (Europe/Lisbon)",
        "Fri 12 Jun 2026, 15:00 (Europe/Lisbon)",
    ]

    # Moved back to the first time: its reminders are promised again.
    await clinic.change(appointment, EventKind.APPOINTMENT_RESCHEDULED, move_to=STARTS)
    await clinic.dispatch()
    pending = of(await clinic.outbox(), Template.APPOINTMENT_REMINDER, MessageStatus.PENDING)
    assert [e.next_attempt_at for e in pending] == [STARTS - 24 * H, STARTS - 2 * H]


async def test_whatsapp_with_consent_email_without_nothing_without_either(clinic: Clinic1) -> None:
    await clinic.seed(consent=True)
    await clinic.book()
    await clinic.dispatch()
    await clinic.relay()
    assert [(m.channel, m.recipient) for m in clinic.received] == [(Channel.WHATSAPP, "+351912345678")]

    other = Clinic1(clinic.clock)
    await other.seed(email=False)  # a phone, but no consent, and no email
    await other.book()
    assert await other.dispatch() == DispatchResult(handled=1, unreachable=1)
    await other.relay()
    assert other.received == [] and await other.outbox() == []


async def test_dispatching_twice_or_twice_at_once_sends_nothing_twice(clinic: Clinic1) -> None:
    await clinic.seed()
    for _ in range(5):
        await clinic.book(STARTS + _ * H)

    results = await asyncio.gather(clinic.dispatch(), clinic.dispatch())
    assert sum(r.handled for r in results) == 5
    assert await clinic.dispatch() == DispatchResult()
    await clinic.relay_until(STARTS + 10 * H)

    keys = [m.idempotency_key for m in clinic.received]
    assert len(keys) == len(set(keys)) == 5 * 3


async def test_a_prescription_notice_carries_the_signed_link_only(clinic: Clinic1) -> None:
    await clinic.seed()
    prescription_id = clinic.ids.new_id()
    uow = InMemoryUnitOfWork(clinic.store)
    await clinic.emit(uow, EventKind.PRESCRIPTION_ISSUED, prescription_id, patientId=str(clinic.patient_id))

    await clinic.dispatch()
    await clinic.dispatch()
    await clinic.relay()

    (notice,) = clinic.received
    assert notice.template is Template.PRESCRIPTION_NOTICE and set(notice.parameters) == {
        "clinic_name",
        "link",
    }
    prefix = f"https://clinic.example/api/v1/prescriptions/{prescription_id}/document?token="
    assert notice.parameters["link"].startswith(prefix)
    grant = HmacDocumentLinks(SECRET).open(notice.parameters["link"].removeprefix(prefix), now=NOW)
    assert grant.prescription_id == prescription_id and grant.clinic_id == clinic.clinic_id


async def test_events_of_an_unknown_appointment_are_published_without_a_message(clinic: Clinic1) -> None:
    await clinic.seed()
    await clinic.emit(InMemoryUnitOfWork(clinic.store), EventKind.APPOINTMENT_BOOKED, clinic.ids.new_id())
    assert await clinic.dispatch() == DispatchResult(handled=1)
    assert await clinic.outbox() == []
