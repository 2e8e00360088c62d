"""Messaging providers: the outbox per store, the channels per profile, the relay, and the
notification dispatcher (domain events -> messages) that runs next to the relay.

| profile    | outbox | email                              | WhatsApp          | relay + dispatcher    |
|------------|--------|------------------------------------|-------------------|-----------------------|
| memory     | memory | recording                          | recording         | run by tests          |
| embedded   | SQL    | console (EMAIL_PROVIDER=smtp: SMTP) | console           | in the app's process  |
| production | SQL    | SMTP (the console is refused)      | the WhatsApp slot | `healthcare worker`   |
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from dishka import AsyncContainer, Provider, Scope, provide, provide_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.console.channel import ConsoleChannel
from adapters.email.smtp_channel import SmtpEmailChannel, SmtpOptions
from adapters.memory.outbox import InMemoryOutbox, InMemoryOutboxAdmin
from adapters.memory.outbox_relay import InMemoryOutboxDeliveryStatuses, InMemoryOutboxStore
from adapters.memory.recording_channel import RecordingChannel
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.outbox import SqlOutbox
from adapters.sql.outbox_admin import SqlDeliveryStatuses, SqlOutboxAdmin
from adapters.sql.outbox_codec import OutboxCodec
from adapters.sql.outbox_relay import SqlOutboxStore
from application.messaging.dispatch_events import DispatchEvents, DispatchResult
from application.messaging.notification_policy import NotificationPolicy
from application.messaging.outbox_report import (
    CountOutboundMessages,
    ListOutboundMessages,
    MeasureOutboxBacklog,
)
from application.messaging.relay_messages import RelayMessages
from application.messaging.relay_policy import RelayPolicy
from application.messaging.retry_message import RetryMessage
from application.ports.clock import Clock
from application.ports.crypto import FieldCipher
from application.ports.messaging import (
    Channels,
    DeliveryStatuses,
    MessageChannel,
    Outbox,
    OutboxStore,
    PendingMessages,
)
from application.ports.outbox_admin import OutboxAdmin
from domain.messaging import Channel
from domain.notifications import QuietHours, ReminderPolicy, parse_clock_time
from entrypoints.config import Settings
from entrypoints.config.fields import EmailProvider
from entrypoints.worker import BackgroundRelay, DispatchLoop, RelayLoop


def relay_policy(settings: Settings) -> RelayPolicy:
    app = settings.app
    return RelayPolicy(
        batch_size=app.outbox_batch_size,
        lease=timedelta(seconds=app.outbox_lease_seconds),
        concurrency=app.outbox_concurrency,
        max_attempts=app.outbox_max_attempts,
        backoff_base=timedelta(seconds=app.outbox_backoff_base_seconds),
        backoff_max=timedelta(seconds=app.outbox_backoff_max_seconds),
        throttle_pause=timedelta(seconds=app.outbox_throttle_seconds),
        probe_interval=timedelta(seconds=app.outbox_probe_seconds),
    )


def notification_policy(settings: Settings) -> NotificationPolicy:
    messaging = settings.messaging
    windows = sorted({timedelta(hours=float(h)) for h in messaging.reminder_hours}, reverse=True)
    quiet = QuietHours(
        parse_clock_time(messaging.quiet_hours_start), parse_clock_time(messaging.quiet_hours_end)
    )
    return NotificationPolicy(
        reminders=ReminderPolicy(windows=tuple(windows), quiet=quiet),
        public_url=messaging.public_url,
        link_ttl=timedelta(hours=settings.security.prescription_link_ttl_hours),
    )


class ContainerDispatch:
    """One dispatcher turn in a request scope of its own (DispatchEvents acts as the system)."""

    def __init__(self, container: AsyncContainer, batch_size: int) -> None:
        self._container = container
        self._batch_size = batch_size

    async def __call__(self, stop: asyncio.Event) -> DispatchResult:
        async with self._container() as request:
            dispatch = await request.get(DispatchEvents)
            return await dispatch(limit=self._batch_size, stop=stop)


def relay_owner() -> str:
    """Names this relay in leases: host, process and a random part (a restarted process with the
    same pid is another owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class MessagingProvider(Provider):
    """Every profile: the relay over whatever OutboxStore and Channels the profile provides."""

    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> RelayPolicy:
        return relay_policy(settings)

    @provide(scope=Scope.APP)
    def relay(
        self, store: OutboxStore, channels: Channels, policy: RelayPolicy, clock: Clock
    ) -> RelayMessages:
        return RelayMessages(store, channels, policy, clock, owner=relay_owner())

    @provide(scope=Scope.APP)
    def relay_loop(self, relay: RelayMessages, settings: Settings) -> RelayLoop:
        app = settings.app
        return RelayLoop(relay, batch_size=app.outbox_batch_size, poll_seconds=app.outbox_poll_seconds)

    use_cases = provide_all(
        RetryMessage, ListOutboundMessages, CountOutboundMessages, MeasureOutboxBacklog, scope=Scope.REQUEST
    )

    @provide(scope=Scope.APP)
    def notifications(self, settings: Settings) -> NotificationPolicy:
        return notification_policy(settings)

    dispatch_events = provide(DispatchEvents, scope=Scope.REQUEST)

    @provide(scope=Scope.APP)
    def dispatch_loop(self, container: AsyncContainer, settings: Settings) -> DispatchLoop:
        batch = settings.messaging.dispatch_batch_size
        turn = ContainerDispatch(container, batch)
        return DispatchLoop(turn, batch_size=batch, poll_seconds=settings.app.outbox_poll_seconds)


class MemoryMessagingProvider(Provider):
    """Memory profile: the outbox in the memory store, recording channels, no background relay
    (tests run RelayMessages themselves)."""

    @provide(scope=Scope.REQUEST)
    def outbox(self, uow: InMemoryUnitOfWork) -> Outbox:
        return InMemoryOutbox(uow)

    @provide(scope=Scope.REQUEST)
    def pending(self, uow: InMemoryUnitOfWork) -> PendingMessages:
        return InMemoryOutbox(uow)

    @provide(scope=Scope.REQUEST)
    def admin(self, uow: InMemoryUnitOfWork) -> OutboxAdmin:
        return InMemoryOutboxAdmin(uow)

    @provide(scope=Scope.APP)
    def store(self, store: InMemoryStore) -> OutboxStore:
        return InMemoryOutboxStore(store)

    @provide(scope=Scope.APP)
    def statuses(self, store: InMemoryStore, clock: Clock) -> DeliveryStatuses:
        return InMemoryOutboxDeliveryStatuses(store, clock)

    @provide(scope=Scope.APP)
    def channels(self) -> Channels:
        return Channels({channel: RecordingChannel(channel) for channel in Channel})

    @provide(scope=Scope.APP)
    def background(self) -> BackgroundRelay:
        return BackgroundRelay.idle()


class SqlMessagingProvider(Provider):
    """Embedded and production: the outbox table, sealed with the PHI key ring."""

    @provide(scope=Scope.APP)
    def codec(self, cipher: FieldCipher) -> OutboxCodec:
        return OutboxCodec(cipher)

    @provide(scope=Scope.REQUEST)
    def outbox(self, session: AsyncSession, codec: OutboxCodec) -> Outbox:
        return SqlOutbox(session, codec)

    @provide(scope=Scope.REQUEST)
    def pending(self, session: AsyncSession, codec: OutboxCodec) -> PendingMessages:
        return SqlOutbox(session, codec)

    @provide(scope=Scope.REQUEST)
    def admin(self, session: AsyncSession, codec: OutboxCodec) -> OutboxAdmin:
        return SqlOutboxAdmin(session, codec)

    @provide(scope=Scope.APP)
    def store(self, sessions: async_sessionmaker[AsyncSession], codec: OutboxCodec) -> OutboxStore:
        return SqlOutboxStore(sessions, codec)

    @provide(scope=Scope.APP)
    def statuses(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> DeliveryStatuses:
        return SqlDeliveryStatuses(sessions, clock)


@dataclass(frozen=True, slots=True)
class WhatsAppSlot:
    """The channel that carries WhatsApp messages, or None: they then stay PENDING until one is
    configured (nothing is failed for it)."""

    channel: MessageChannel | None


class ChannelsProvider(Provider):
    """Embedded and production: email by EMAIL_PROVIDER, WhatsApp through the slot."""

    @provide(scope=Scope.APP)
    def whatsapp(self, settings: Settings) -> WhatsAppSlot:
        # THE WHATSAPP SLOT. The Cloud API channel (entrypoints.ioc.whatsapp) plugs in here: a
        # provider listed after this one returns WhatsAppSlot(channel) when WHATSAPP_ENABLED is
        # true. Until then: the console outside production, nothing in production.
        return WhatsAppSlot(None if settings.is_production else ConsoleChannel(Channel.WHATSAPP))

    @provide(scope=Scope.APP)
    def channels(self, settings: Settings, whatsapp: WhatsAppSlot) -> Channels:
        by_channel: dict[Channel, MessageChannel] = {Channel.EMAIL: email_channel(settings)}
        if whatsapp.channel is not None:
            by_channel[Channel.WHATSAPP] = whatsapp.channel
        return Channels(by_channel)


def email_channel(settings: Settings) -> MessageChannel:
    email = settings.email
    if email.provider is EmailProvider.CONSOLE:
        return ConsoleChannel(Channel.EMAIL)
    return SmtpEmailChannel(
        SmtpOptions(
            host=email.smtp_host,
            port=email.smtp_port,
            from_address=email.from_address,
            username=email.smtp_username,
            password=email.smtp_password,
            use_tls=email.smtp_tls,
            start_tls=email.smtp_starttls,
            timeout_seconds=email.smtp_timeout_seconds,
        )
    )


class InProcessRelayProvider(Provider):
    """Embedded: the relay and the dispatcher run in the app's process (started by the app,
    stopped on close), so `make run` sends confirmations and reminders."""

    @provide(scope=Scope.APP)
    async def background(self, loop: RelayLoop, dispatcher: DispatchLoop) -> AsyncIterator[BackgroundRelay]:
        relay = BackgroundRelay(loop, dispatcher)
        yield relay
        await relay.stop()


class WorkerRelayProvider(Provider):
    """Production: the relay runs in `healthcare worker` processes, not in the API's."""

    @provide(scope=Scope.APP)
    def background(self) -> BackgroundRelay:
        return BackgroundRelay.idle()
