"""The relay over each outbox (memory, SQLite, PostgreSQL): several relays at once, a relay that
dies, backoff, dead letters; and delivery statuses that only move forward."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from outbox_backends import ALL_BACKENDS, START, OutboxBackend, message, outbox_backend

from adapters.memory.recording_channel import RecordingChannel
from application.messaging.relay_messages import RelayMessages
from application.messaging.relay_policy import RelayPolicy
from application.ports.messaging import Channels, StatusUpdate, TransientSendFailure
from domain.messaging import Channel, MessageStatus, OutboundMessage

S = MessageStatus
POLICY = RelayPolicy(batch_size=5, concurrency=2, max_attempts=3, lease=timedelta(seconds=60))


@pytest.fixture(params=ALL_BACKENDS)
async def backend(request, tmp_path) -> AsyncIterator[OutboxBackend]:
    async with outbox_backend(request.param, tmp_path) as opened:
        yield opened


class SlowChannel(RecordingChannel):
    """Yields to the event loop mid-send, as a network call would, so relays interleave."""

    async def send(self, message: OutboundMessage):
        await asyncio.sleep(0)
        return await super().send(message)


def relay(backend: OutboxBackend, channel: RecordingChannel, clock, owner: str, **policy) -> RelayMessages:
    chosen = RelayPolicy(**{**vars_of(POLICY), **policy})
    return RelayMessages(
        backend.new_store(),
        Channels({channel.channel: channel}),
        chosen,
        clock,
        owner=owner,
        rng=random.Random(7),
    )


def vars_of(policy: RelayPolicy) -> dict:
    return {name: getattr(policy, name) for name in policy.__slots__}


async def status_of(backend: OutboxBackend, sent: OutboundMessage) -> MessageStatus:
    return (await backend.entry(sent.id)).status


async def test_relays_working_at_once_send_every_message_exactly_once(backend: OutboxBackend, clock) -> None:
    messages = [message() for _ in range(40)]
    await backend.add(*messages)
    channel = SlowChannel(Channel.EMAIL)
    relays = [relay(backend, channel, clock, f"relay-{i}") for i in range(3)]

    for _ in range(40):  # bounded: every round sends something until nothing is left
        claimed = await asyncio.gather(*(r() for r in relays))
        if sum(claimed) == 0:
            break

    sent = [m.id for m in channel.sent]
    assert len(sent) == len(set(sent)) == 40
    assert {await status_of(backend, m) for m in messages} == {S.SENT}


async def test_messages_held_by_a_dead_relay_are_delivered_after_its_lease(
    backend: OutboxBackend, clock
) -> None:
    messages = [message() for _ in range(4)]
    await backend.add(*messages)
    await backend.new_store().claim(
        owner="killed", now=START, lease_until=START + POLICY.lease, limit=10, channels=[Channel.EMAIL]
    )
    channel = RecordingChannel(Channel.EMAIL)
    survivor = relay(backend, channel, clock, "survivor")

    clock.current = START + POLICY.lease - timedelta(seconds=1)
    assert await survivor() == 0
    clock.current = START + POLICY.lease
    assert await survivor() == 4

    assert sorted(m.id for m in channel.sent) == sorted(m.id for m in messages)
    assert {(await backend.entry(m.id)).attempts for m in messages} == {2}


async def test_transient_failures_back_off_then_dead_letter_the_message(
    backend: OutboxBackend, clock
) -> None:
    doomed = message()
    await backend.add(doomed)
    channel = RecordingChannel(Channel.EMAIL)
    channel.fail_next(*(TransientSendFailure(f"smtp connect: try {i}") for i in range(1, 4)))
    worker = relay(backend, channel, clock, "relay", backoff_base=timedelta(seconds=10))

    waits = []
    for _ in range(3):
        assert await worker() == 1
        entry = await backend.entry(doomed.id)
        if entry.status is S.PENDING:
            waits.append(entry.next_attempt_at - clock.now())
            assert await worker() == 0  # not due before its backoff ends
            clock.current = entry.next_attempt_at

    assert timedelta(seconds=5) <= waits[0] <= timedelta(seconds=10)
    assert timedelta(seconds=10) <= waits[1] <= timedelta(seconds=20)
    entry = await backend.entry(doomed.id)
    assert (entry.status, entry.attempts, entry.last_error) == (S.DEAD, 3, "smtp connect: try 3")
    clock.advance(days=1)
    assert await worker() == 0  # kept for an operator, never claimed again
    assert channel.sent == []


async def sent_message(backend: OutboxBackend, clock, **fields) -> OutboundMessage:
    sent = message(**fields)
    await backend.add(sent)
    channel = RecordingChannel(sent.channel)
    assert await relay(backend, channel, clock, "relay")() == 1
    return sent


def update(sent: OutboundMessage, status: MessageStatus, **fields) -> StatusUpdate:
    return StatusUpdate(provider_message_id=f"rec-{sent.id}", status=status, at=START, **fields)


async def test_status_updates_only_move_forward_whatever_their_order(backend: OutboxBackend, clock) -> None:
    statuses = backend.statuses(clock)
    sent = await sent_message(backend, clock)

    assert await statuses.apply(update(sent, S.SENT)) is False  # already sent
    assert await statuses.apply(update(sent, S.READ)) is True
    for late in (S.DELIVERED, S.READ, S.SENT, S.FAILED):
        assert await statuses.apply(update(sent, late, permanent=True)) is False
    assert await status_of(backend, sent) is S.READ
    assert (
        await statuses.apply(StatusUpdate(provider_message_id="wamid.unknown", status=S.READ, at=START))
        is False
    )

    shuffled = await sent_message(backend, clock)
    reports = [update(shuffled, s) for s in (S.DELIVERED, S.READ, S.DELIVERED, S.SENT, S.READ)]
    random.Random(3).shuffle(reports)
    changed = [await statuses.apply(r) for r in reports]
    assert await status_of(backend, shuffled) is S.READ and 1 <= changed.count(True) <= 2


async def test_concurrent_duplicate_updates_change_a_message_once(backend: OutboxBackend, clock) -> None:
    statuses = backend.statuses(clock)
    sent = await sent_message(backend, clock)

    changed = await asyncio.gather(*(statuses.apply(update(sent, S.DELIVERED)) for _ in range(10)))

    assert changed.count(True) == 1


async def test_failed_reports_fail_for_good_or_send_again(backend: OutboxBackend, clock) -> None:
    statuses = backend.statuses(clock)
    refused = await sent_message(backend, clock)
    lost = await sent_message(backend, clock)

    failed = update(refused, S.FAILED, error_code="131026", error_reason="undeliverable", permanent=True)
    assert await statuses.apply(failed) is True
    assert await statuses.apply(failed) is False
    assert await statuses.apply(update(lost, S.FAILED, error_code="131000", permanent=False)) is True

    entry = await backend.entry(refused.id)
    assert (entry.status, entry.last_error) == (S.FAILED, "131026: undeliverable")
    assert (await backend.entry(lost.id)).status is S.PENDING  # the provider says it never arrived
    channel = RecordingChannel(Channel.EMAIL)
    assert await relay(backend, channel, clock, "relay")() == 1
    assert [m.id for m in channel.sent] == [lost.id]


async def test_an_uncertain_message_is_reconciled_by_our_id_and_never_resent(
    backend: OutboxBackend, clock
) -> None:
    from application.ports.messaging import OutcomeUnknown

    unsure = message(channel=Channel.WHATSAPP, recipient="+14155550100")
    await backend.add(unsure)
    channel = RecordingChannel(Channel.WHATSAPP)
    channel.fail_next(OutcomeUnknown("timeout after the request was sent"))
    worker = relay(backend, channel, clock, "relay")
    assert await worker() == 1
    clock.advance(days=1)
    assert await worker() == 0 and channel.sent == []  # uncertain: the relay never resends it
    assert await status_of(backend, unsure) is S.UNCERTAIN

    statuses = backend.statuses(clock)
    wamid = f"wamid.{uuid.uuid4().hex}"
    other = StatusUpdate(provider_message_id=wamid, status=S.DELIVERED, at=START, message_id=uuid.uuid4())
    assert await statuses.apply(other) is False
    confirmed = StatusUpdate(provider_message_id=wamid, status=S.DELIVERED, at=START, message_id=unsure.id)
    assert await statuses.apply(confirmed) is True
    assert await statuses.apply(StatusUpdate(provider_message_id=wamid, status=S.READ, at=START)) is True

    entry = await backend.entry(unsure.id)
    assert (entry.status, entry.provider_message_id) == (S.READ, wamid)
