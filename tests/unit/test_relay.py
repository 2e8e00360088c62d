"""The relay's rules, over the memory outbox, recording channels and a clock moved by hand."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta

import pytest
from relay_world import POLICY, GatedChannel, RelayWorld

from adapters.memory.outbox_relay import InMemoryOutboxStore
from application.messaging.relay_messages import RelayMessages
from application.messaging.relay_policy import RelayPolicy
from application.ports.messaging import (
    Channels,
    ChannelThrottled,
    ChannelUnauthorized,
    OutcomeUnknown,
    PermanentSendFailure,
    RecipientThrottled,
    TransientSendFailure,
)
from domain.messaging import Channel, MessageStatus

S = MessageStatus


@pytest.fixture
def world(clock, ids) -> RelayWorld:
    return RelayWorld(clock, ids)


async def test_a_due_message_is_sent_once_with_the_provider_ids(world: RelayWorld) -> None:
    [message] = await world.add()
    relay = world.relay()

    assert await relay() == 1
    assert await relay() == 0

    assert world.email.sent == [message]
    entry = await world.entry(message.id)
    assert (entry.status, entry.attempts, entry.provider_message_id) == (S.SENT, 1, f"rec-{message.id}")


async def test_an_expired_code_is_failed_not_sent(world: RelayWorld) -> None:
    [old] = await world.add(expires_at=world.clock.now() + timedelta(minutes=5))
    world.clock.advance(minutes=5)

    await world.relay()()

    assert world.email.sent == []
    entry = await world.entry(old.id)
    assert (entry.status, entry.last_error) == (S.FAILED, "expired")


async def test_a_not_before_time_is_honoured(world: RelayWorld) -> None:
    [later] = await world.add(not_before=world.clock.now() + timedelta(hours=24), expires_at=None)
    relay = world.relay()

    assert await relay() == 0
    world.clock.advance(hours=24)
    assert await relay() == 1
    assert world.email.sent == [later]


async def test_permanent_failures_fail_and_unknown_outcomes_are_never_resent(world: RelayWorld) -> None:
    refused, unsure = await world.add(2)
    world.email.fail_next(PermanentSendFailure("132001: template does not exist"), OutcomeUnknown("timeout"))
    relay = world.relay(RelayPolicy(concurrency=1))

    await relay()
    world.clock.advance(days=2)
    assert await relay() == 0

    assert (await world.entry(refused.id)).last_error == "132001: template does not exist"
    assert [(await world.entry(m.id)).status for m in (refused, unsure)] == [S.FAILED, S.UNCERTAIN]
    assert world.email.sent == []


async def test_a_throttled_channel_pauses_without_using_up_attempts(world: RelayWorld) -> None:
    emails = await world.add(3, expires_at=None)
    [chat] = await world.add(channel=Channel.WHATSAPP, recipient="+14155550100", expires_at=None)
    world.email.fail_next(ChannelThrottled("4: too many calls", retry_after_seconds=120))
    relay = world.relay(RelayPolicy(concurrency=1))

    await relay()
    assert world.whatsapp.sent == [chat]  # other channels go on
    assert world.email.attempts == 1  # after the refusal nobody else hammers the channel
    for message in emails:
        entry = await world.entry(message.id)
        assert (entry.status, entry.attempts) == (S.PENDING, 0)
    world.clock.advance(seconds=119)
    assert await relay() == 0

    world.clock.advance(seconds=1)
    await relay()
    assert sorted(m.id for m in world.email.sent) == sorted(m.id for m in emails)


async def test_a_throttled_recipient_waits_and_the_others_do_not(world: RelayWorld) -> None:
    first, second = await world.add(2, recipient="busy@example.org", expires_at=None)
    [other] = await world.add(recipient="free@example.org", expires_at=None)
    world.email.fail_next(RecipientThrottled("131056: pair rate limit"))
    relay = world.relay(RelayPolicy(concurrency=1))

    await relay()
    assert world.email.sent == [other]
    assert {(await world.entry(m.id)).status for m in (first, second)} == {S.PENDING}

    world.clock.advance(seconds=POLICY.throttle_pause.total_seconds())
    await relay()
    assert [m.id for m in world.email.sent[1:]] == [first.id, second.id]


async def test_refused_credentials_pause_the_channel_alert_once_and_probe_once_per_interval(
    world: RelayWorld, caplog: pytest.LogCaptureFixture
) -> None:
    messages = await world.add(5, expires_at=None)
    relay = world.relay()
    world.email.fail_next(*(ChannelUnauthorized("190: access token expired") for _ in range(3)))

    with caplog.at_level(logging.WARNING):
        await relay()
        for _ in range(2):  # two more intervals, still refused: one probe each
            assert await relay() == 0  # paused: nothing is claimed
            world.clock.advance(seconds=60)
            await relay()
        assert world.email.attempts == 3
        assert {(await world.entry(m.id)).status for m in messages} == {S.PENDING}
        assert {(await world.entry(m.id)).attempts for m in messages} == {0}

        world.clock.advance(seconds=60)  # the token was fixed meanwhile
        await relay()

    assert sorted(m.id for m in world.email.sent) == sorted(m.id for m in messages)
    alerts = [r for r in caplog.records if "ALERT" in r.getMessage()]
    assert len(alerts) == 1 and "190: access token expired" in alerts[0].getMessage()
    assert any("accepts our credentials again" in r.getMessage() for r in caplog.records)


async def test_a_message_whose_relays_kept_dying_is_dead_lettered_unsent(world: RelayWorld) -> None:
    [cursed] = await world.add(expires_at=None)
    store = InMemoryOutboxStore(world.store)
    for _ in range(POLICY.max_attempts):  # each claim's relay died holding it
        now = world.clock.now()
        await store.claim(
            owner="x", now=now, lease_until=now + POLICY.lease, limit=1, channels=[Channel.EMAIL]
        )
        world.clock.advance(seconds=POLICY.lease.total_seconds())

    await world.relay()()

    assert world.email.sent == []
    entry = await world.entry(cursed.id)
    assert (entry.status, entry.attempts, entry.last_error) == (S.DEAD, 5, "attempts exhausted")


async def test_stopping_finishes_the_send_in_flight_and_releases_the_rest(world: RelayWorld) -> None:
    messages = await world.add(4, expires_at=None)
    world.email = GatedChannel(Channel.EMAIL)
    relay = world.relay(RelayPolicy(concurrency=1))
    stop = asyncio.Event()

    batch = asyncio.create_task(relay(stop))
    await world.email.started.wait()
    stop.set()
    world.email.opened.set()
    assert await batch == 4

    assert world.email.sent == messages[:1]
    for message in messages[1:]:
        entry = await world.entry(message.id)
        assert (entry.status, entry.attempts, entry.next_attempt_at) == (S.PENDING, 0, world.clock.now())
    assert await world.relay(owner="next")() == 3  # released at once: no lease to wait out


async def test_a_claim_whose_lease_is_nearly_over_is_released_unsent(world: RelayWorld) -> None:
    slow, late = await world.add(2, expires_at=None)
    clock = world.clock

    class SlowChannel(type(world.email)):  # the first send takes most of the lease
        async def send(self, message):
            clock.advance(seconds=50)
            return await super().send(message)

    world.email = SlowChannel(Channel.EMAIL)
    await world.relay(RelayPolicy(concurrency=1))()

    assert world.email.sent == [slow]
    assert (await world.entry(late.id)).status is S.PENDING


async def test_a_channel_that_breaks_its_contract_is_retried_with_backoff(world: RelayWorld) -> None:
    [message] = await world.add(expires_at=None)
    world.email.fail_next(RuntimeError("bug in an adapter"))  # type: ignore[arg-type]

    await world.relay()()

    entry = await world.entry(message.id)
    assert (entry.status, entry.attempts, entry.last_error) == (S.PENDING, 1, "channel error: RuntimeError")
    assert entry.next_attempt_at > world.clock.now()


async def test_messages_of_a_channel_without_an_adapter_wait(world: RelayWorld) -> None:
    [chat] = await world.add(channel=Channel.WHATSAPP, recipient="+14155550100", expires_at=None)
    email_only = RelayMessages(
        InMemoryOutboxStore(world.store),
        Channels({Channel.EMAIL: world.email}),
        POLICY,
        world.clock,
        owner="r",
    )

    assert await email_only() == 0
    assert (await world.entry(chat.id)).status is S.PENDING


async def test_logs_name_message_ids_never_recipients_or_codes(
    world: RelayWorld, caplog: pytest.LogCaptureFixture
) -> None:
    await world.add(
        4, recipient="secret.person@example.org", parameters={"code": "271828", "ttl_minutes": "5"}
    )
    world.email.fail_next(
        OutcomeUnknown("timeout"),
        ChannelUnauthorized("535"),
        TransientSendFailure("421"),
    )
    with caplog.at_level(logging.DEBUG):
        for _ in range(4):
            await world.relay()()
            world.clock.advance(minutes=2)

    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "271828" not in text and "secret.person" not in text


def test_backoff_doubles_with_jitter_is_capped_and_honours_retry_after() -> None:
    policy = RelayPolicy(backoff_base=timedelta(seconds=2), backoff_max=timedelta(seconds=60))
    rng = random.Random(5)
    for attempt, ceiling in ((1, 2), (2, 4), (3, 8), (6, 60), (20, 60)):
        waits = [policy.backoff(attempt, rng=rng).total_seconds() for _ in range(200)]
        assert ceiling / 2 <= min(waits) and max(waits) <= ceiling
        assert max(waits) - min(waits) > ceiling / 10  # jittered, not in lockstep
    assert policy.backoff(1, at_least=30, rng=rng) == timedelta(seconds=30)
