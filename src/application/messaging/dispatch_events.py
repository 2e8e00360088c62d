"""Turn committed domain events into messages for patients: confirmations, reminders,
cancellations and prescription notices."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from application.messaging.notification_policy import Draft, NotificationPolicy, find_recipient
from application.ports.appointments import AppointmentRepository
from application.ports.clock import Clock, IdGenerator
from application.ports.consent import ConsentRepository
from application.ports.document_links import DocumentGrant, DocumentLinks
from application.ports.events import EventFeed
from application.ports.messaging import Outbox, PendingMessages
from application.ports.repositories import ClinicRepository, UserRepository
from application.ports.tenancy import TenantScope
from application.ports.uow import UnitOfWork
from domain.appointments import Appointment, AppointmentStatus
from domain.events import DomainEvent, EventKind
from domain.messaging import Template
from domain.notifications import (
    Recipient,
    cancellation_key,
    confirmation_key,
    local_time_text,
    moved_key,
    prescription_notice_key,
    reminder_key,
    reminder_prefix,
    reminder_times,
)

logger = logging.getLogger(__name__)
K = EventKind
APPOINTMENT_EVENTS = frozenset(
    {K.APPOINTMENT_BOOKED, K.APPOINTMENT_CONFIRMED, K.APPOINTMENT_RESCHEDULED, K.APPOINTMENT_CANCELLED}
    | {K.APPOINTMENT_NO_SHOW, K.APPOINTMENT_COMPLETED, K.APPOINTMENT_CHECKED_IN}
)


@dataclass(frozen=True, slots=True)
class DispatchResult:
    """One turn: events handled (published), events that failed (left for the next turn), and
    messages not sent because the patient has no channel (no consented phone, no email)."""

    handled: int = 0
    failed: int = 0
    unreachable: int = 0


class DispatchEvents:
    """Handle unpublished domain events, each in one unit of work with its published mark.

    - booked / confirmed: a confirmation, and the reminders of the appointment's time.
    - rescheduled: a confirmation of the new time ("moved"); pending reminders of the old time are
      voided and those of the new time scheduled.
    - cancelled: pending reminders voided, and a cancellation notice (not for a released hold).
      no-show, checked-in, completed: pending reminders voided.
    - prescription.issued: a notice carrying the signed document link, nothing else.
    - Reminders are reconciled with the appointment as it is now, whatever the event: the same
      event handled twice, or events handled late, converge on one set of reminders.
    - Idempotent: every message has a key derived from what it announces (domain.notifications),
      so replaying an event, or two dispatchers at once, sends nothing twice. A subject's events
      are claimed one at a time, in order (EventFeed.claim).
    - Nothing about an appointment that has ended is sent. A patient without a channel is
      counted and logged by ids, never by address.
    - Acts as the system: every clinic.
    """

    def __init__(
        self,
        feed: EventFeed,
        outbox: Outbox,
        pending: PendingMessages,
        appointments: AppointmentRepository,
        clinics: ClinicRepository,
        users: UserRepository,
        consents: ConsentRepository,
        links: DocumentLinks,
        scope: TenantScope,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        policy: NotificationPolicy,
    ) -> None:
        self._feed = feed
        self._outbox = outbox
        self._pending = pending
        self._appointments = appointments
        self._clinics = clinics
        self._users = users
        self._consents = consents
        self._links = links
        self._scope = scope
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._policy = policy
        self._unreachable = 0

    async def __call__(self, *, limit: int, stop: asyncio.Event | None = None) -> DispatchResult:
        await self._scope.apply(user_id=None, clinic_ids=None)
        handled, failed = 0, set[UUID]()
        self._unreachable = 0
        while handled + len(failed) < limit and not (stop is not None and stop.is_set()):
            outcome = await self._one(failed)
            if outcome is None:
                break
            handled += outcome
        return DispatchResult(handled=handled, failed=len(failed), unreachable=self._unreachable)

    async def _one(self, failed: set[UUID]) -> int | None:
        """1 when an event was handled, 0 when one failed (added to ``failed``), None when there
        was none to take."""
        current: list[DomainEvent] = []
        try:
            return 1 if await self._uow.run(lambda: self._next(failed, current)) else None
        except Exception as error:
            if not current:
                raise  # the claim itself failed: the store is unreachable
            event = current[-1]
            failed.add(event.id)
            logger.warning(
                "event %s (%s) not dispatched: %s", event.id, event.kind.value, type(error).__name__
            )
            return 0

    async def _next(self, skip: set[UUID], current: list[DomainEvent]) -> bool:
        events = await self._feed.claim(limit=1, skip=skip)
        if not events:
            return False
        (event,) = events
        current.append(event)
        now = self._clock.now()
        if event.kind in APPOINTMENT_EVENTS:
            await self._appointment(event, now)
        elif event.kind is K.PRESCRIPTION_ISSUED:
            await self._prescription(event, now)
        await self._feed.mark_published([event.id], at=now)
        await self._uow.commit()
        return True

    async def _appointment(self, event: DomainEvent, now: datetime) -> None:
        appointment = await self._appointments.get(event.clinic_id, event.subject_id)
        clinic = await self._clinics.get(event.clinic_id)
        if appointment is None or clinic is None:
            logger.warning("event %s names no appointment of its clinic: nothing sent", event.id)
            return
        zone = ZoneInfo(clinic.time_zone)
        recipient = await find_recipient(self._users, self._consents, clinic.id, appointment.patient_id, now)
        booked = appointment.status is AppointmentStatus.BOOKED
        parameters = {"clinic_name": clinic.name, "starts_at": local_time_text(appointment.starts_at, zone)}
        drafts: list[Draft] = []
        if appointment.ends_at > now:
            notice = _notice(event, appointment, booked)
            if notice is not None:
                template, key = notice
                drafts.append(
                    Draft(
                        template=template,
                        parameters=parameters,
                        key=key,
                        not_before=now,
                        expires_at=appointment.starts_at,
                    )
                )
        reminders = {}
        if booked and recipient is not None:
            times = reminder_times(appointment.starts_at, zone, self._policy.reminders, now=now)
            for window, at in times.items():
                key = reminder_key(appointment.id, appointment.starts_at, window, recipient.channel)
                reminders[key] = Draft(
                    template=Template.APPOINTMENT_REMINDER,
                    parameters=parameters,
                    key=key,
                    not_before=at,
                    expires_at=appointment.starts_at,
                )
        await self._pending.void(
            clinic.id, key_prefix=reminder_prefix(appointment.id), keep=reminders.keys(), now=now
        )
        await self._add(event, recipient, [*drafts, *reminders.values()], now)

    async def _prescription(self, event: DomainEvent, now: datetime) -> None:
        try:
            patient_id = UUID(event.data["patientId"])
        except (KeyError, ValueError):
            logger.warning("event %s names no patient: nothing sent", event.id)
            return
        clinic = await self._clinics.get(event.clinic_id)
        if clinic is None:
            return
        recipient = await find_recipient(self._users, self._consents, clinic.id, patient_id, now)
        grant = DocumentGrant(
            prescription_id=event.subject_id, clinic_id=clinic.id, expires_at=now + self._policy.link_ttl
        )
        link = self._policy.document_url(event.subject_id, self._links.sign(grant))
        draft = Draft(
            template=Template.PRESCRIPTION_NOTICE,
            parameters={"clinic_name": clinic.name, "link": link},
            key=prescription_notice_key(event.subject_id),
            not_before=now,
            expires_at=grant.expires_at,  # a notice whose link has expired is not worth sending
        )
        await self._add(event, recipient, [draft], now)

    async def _add(
        self, event: DomainEvent, recipient: Recipient | None, drafts: list[Draft], now: datetime
    ) -> None:
        if not drafts:
            return
        if recipient is None:
            self._unreachable += len(drafts)
            logger.info(
                "event %s (%s): the patient has no channel, %d message(s) not sent",
                event.id,
                event.kind.value,
                len(drafts),
            )
            return
        for draft in drafts:
            message = draft.message(
                id=self._ids.new_id(), recipient=recipient, clinic_id=event.clinic_id, now=now
            )
            await self._outbox.add(message)


def _notice(event: DomainEvent, appointment: Appointment, booked: bool) -> tuple[Template, str] | None:
    """The notice an appointment event gives, judged against the appointment as it is now."""
    if event.kind in (K.APPOINTMENT_BOOKED, K.APPOINTMENT_CONFIRMED) and booked:
        return Template.APPOINTMENT_CONFIRMATION, confirmation_key(appointment.id, appointment.starts_at)
    if event.kind is K.APPOINTMENT_RESCHEDULED and booked:
        return Template.APPOINTMENT_CONFIRMATION, moved_key(appointment.id, event.id)
    released_hold = any(event.data.get(k) == AppointmentStatus.HELD.value for k in ("from", "previousStatus"))
    if (
        event.kind is K.APPOINTMENT_CANCELLED
        and appointment.status is AppointmentStatus.CANCELLED
        and not released_hold
    ):
        return Template.APPOINTMENT_CANCELLATION, cancellation_key(appointment.id)
    return None
