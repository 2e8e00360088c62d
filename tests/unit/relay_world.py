"""A relay built by hand over the memory outbox, recording channels and a manual clock."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from adapters.memory.outbox import InMemoryOutbox, InMemoryOutboxAdmin
from adapters.memory.outbox_relay import InMemoryOutboxStore
from adapters.memory.recording_channel import RecordingChannel
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from application.messaging.relay_messages import RelayMessages
from application.messaging.relay_policy import RelayPolicy
from application.ports.clock import Clock, IdGenerator
from application.ports.messaging import Channels, Delivery
from application.ports.outbox_admin import OutboxEntry
from domain.messaging import Channel, OutboundMessage, Template

POLICY = RelayPolicy(
    batch_size=10,
    concurrency=2,
    max_attempts=4,
    lease=timedelta(seconds=60),
    backoff_base=timedelta(seconds=2),
    throttle_pause=timedelta(seconds=30),
    probe_interval=timedelta(seconds=60),
)


class GatedChannel(RecordingChannel):
    """Holds its first send until ``opened`` is set (a send in flight)."""

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        self.started = asyncio.Event()
        self.opened = asyncio.Event()

    async def send(self, message: OutboundMessage) -> Delivery:
        if not self.started.is_set():
            self.started.set()
            await self.opened.wait()
        return await super().send(message)


@dataclass
class RelayWorld:
    clock: Clock
    ids: IdGenerator
    store: InMemoryStore = field(default_factory=InMemoryStore)
    email: RecordingChannel = field(default_factory=lambda: RecordingChannel(Channel.EMAIL))
    whatsapp: RecordingChannel = field(default_factory=lambda: RecordingChannel(Channel.WHATSAPP))

    def relay(self, policy: RelayPolicy = POLICY, owner: str = "relay-1") -> RelayMessages:
        channels = Channels({Channel.EMAIL: self.email, Channel.WHATSAPP: self.whatsapp})
        return RelayMessages(
            InMemoryOutboxStore(self.store), channels, policy, self.clock, owner=owner, rng=random.Random(1)
        )

    async def add(self, count: int = 1, **fields: object) -> list[OutboundMessage]:
        uow = InMemoryUnitOfWork(self.store)
        outbox = InMemoryOutbox(uow)
        messages = [self.message(**fields) for _ in range(count)]
        for message in messages:
            await outbox.add(message)
        await uow.commit()
        return messages

    def message(self, **fields: object) -> OutboundMessage:
        now = self.clock.now()
        message_id = self.ids.new_id()
        values: dict[str, object] = {
            "id": message_id,
            "channel": Channel.EMAIL,
            "recipient": "ana@example.org",
            "template": Template.OTP,
            "parameters": {"code": "602214", "ttl_minutes": "5"},
            "idempotency_key": f"otp:{message_id}",
            "not_before": now,
            "expires_at": now + timedelta(minutes=5),
            "created_at": now,
        }
        return OutboundMessage(**(values | fields))  # type: ignore[arg-type]

    async def entry(self, message_id: UUID) -> OutboxEntry:
        found = await InMemoryOutboxAdmin(InMemoryUnitOfWork(self.store)).get(message_id)
        assert found is not None
        return found
