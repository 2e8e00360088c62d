"""The relay loop: it keeps going through store failures, and stops when told."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import datetime

import pytest
from relay_world import POLICY, RelayWorld

from adapters.memory.outbox_relay import InMemoryOutboxStore
from adapters.memory.recording_channel import RecordingChannel
from application.messaging.relay_messages import RelayMessages
from application.ports.messaging import Channels, ClaimedMessage, Delivery, OutboxStore, Settlement
from domain.messaging import Channel, OutboundMessage
from entrypoints.worker import BackgroundRelay, RelayLoop


class FlakyStore(OutboxStore):
    """Fails its first claims (a database restarting), then works."""

    def __init__(self, inner: OutboxStore, failures: int) -> None:
        self._inner = inner
        self.failures = failures

    async def claim(
        self, *, owner: str, now: datetime, lease_until: datetime, limit: int, channels: Collection[Channel]
    ) -> Sequence[ClaimedMessage]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database restarting")
        return await self._inner.claim(
            owner=owner, now=now, lease_until=lease_until, limit=limit, channels=channels
        )

    async def settle(self, claim: ClaimedMessage, settlement: Settlement, *, now: datetime) -> bool:
        return await self._inner.settle(claim, settlement, now=now)


class SignallingChannel(RecordingChannel):
    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        self.delivered = asyncio.Event()

    async def send(self, message: OutboundMessage) -> Delivery:
        delivery = await super().send(message)
        self.delivered.set()
        return delivery


@pytest.fixture
def world(clock, ids) -> RelayWorld:
    return RelayWorld(clock, ids)


async def test_the_loop_survives_a_failing_store_and_delivers_everything(world: RelayWorld) -> None:
    messages = await world.add(25, expires_at=None)
    store = FlakyStore(InMemoryOutboxStore(world.store), failures=3)
    relay = RelayMessages(store, Channels({Channel.EMAIL: world.email}), POLICY, world.clock, owner="r")
    stop = asyncio.Event()
    beats = []

    def heartbeat() -> None:
        beats.append(1)
        if len(world.email.sent) == len(messages):
            stop.set()

    await asyncio.wait_for(
        RelayLoop(relay, batch_size=10, poll_seconds=0.001, heartbeat=heartbeat).run(stop), 30
    )

    assert store.failures == 0 and len(beats) >= 4
    assert sorted(m.id for m in world.email.sent) == sorted(m.id for m in messages)


async def test_a_background_relay_starts_and_stops_and_an_idle_one_does_nothing(world: RelayWorld) -> None:
    [message] = await world.add(expires_at=None)
    world.email = SignallingChannel(Channel.EMAIL)
    background = BackgroundRelay(RelayLoop(world.relay(), batch_size=10, poll_seconds=0.001))

    background.start()
    assert background.running
    await asyncio.wait_for(world.email.delivered.wait(), 10)
    await background.stop()

    assert world.email.sent == [message] and not background.running
    idle = BackgroundRelay.idle()
    idle.start()
    assert not idle.running
    await idle.stop()
