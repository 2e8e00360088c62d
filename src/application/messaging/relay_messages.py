"""Deliver due outbox messages: one batch per call."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict, deque
from datetime import datetime

from application.messaging.channel_gates import ChannelGates
from application.messaging.relay_policy import RelayPolicy
from application.ports.clock import Clock
from application.ports.messaging import (
    Channels,
    ChannelThrottled,
    ChannelUnauthorized,
    ClaimedMessage,
    MessageChannel,
    OutboxStore,
    OutcomeUnknown,
    PermanentSendFailure,
    RecipientThrottled,
    SendFailure,
    Settlement,
)
from domain.messaging import Channel, MessageStatus

logger = logging.getLogger(__name__)
S = MessageStatus


class RelayMessages:
    """Claim a batch of due messages and settle each one.

    - Only channels of the profile that are not paused are claimed; a claim holds the message
      under a lease, so no other relay sends it meanwhile. A message whose lease is nearly over
      (less than a quarter left) is released unsent rather than risk a second sender.
    - Past ``expires_at`` (an old OTP): FAILED "expired", not sent. Claimed more than
      ``max_attempts`` times (relays died while holding it): DEAD, not sent again.
    - Accepted: SENT, with the provider's ids. Transient failure: PENDING after exponential
      backoff with jitter (at least the provider's Retry-After), DEAD at ``max_attempts``.
      Permanent failure: FAILED with the reason. Outcome unknown (the request left, no answer):
      UNCERTAIN, never resent by the relay (status webhooks or an operator settle it).
    - Channel throttled: the whole channel pauses; recipient throttled: that recipient waits.
      Credentials refused: the channel pauses for the probe interval, an alert is logged once,
      and when the pause ends a single message probes it. In all three cases the message, and
      the channel's (or recipient's) other unsent claims, go back to PENDING without using up
      an attempt: nothing is failed or dead-lettered for the provider's sake.
    - ``stop`` set: sends in flight finish; claims not yet started are released, due at once.
    - Up to ``concurrency`` sends run at once per channel. Logs name message ids, never
      recipients or parameters.
    """

    def __init__(
        self,
        store: OutboxStore,
        channels: Channels,
        policy: RelayPolicy,
        clock: Clock,
        *,
        owner: str,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._channels = channels
        self._policy = policy
        self._clock = clock
        self._owner = owner
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._gates = ChannelGates()

    @property
    def owner(self) -> str:
        return self._owner

    async def __call__(self, stop: asyncio.Event | None = None) -> int:
        """Deliver one batch; returns how many messages were claimed (a full batch means more
        may be due)."""
        now = self._clock.now()
        open_channels = self._gates.open_channels(self._channels.by_channel, now)
        if not open_channels or (stop is not None and stop.is_set()):
            return 0
        claims = await self._store.claim(
            owner=self._owner,
            now=now,
            lease_until=now + self._policy.lease,
            limit=self._policy.batch_size,
            channels=open_channels,
        )
        lanes: dict[Channel, deque[ClaimedMessage]] = defaultdict(deque)
        for claim in claims:
            lanes[claim.message.channel].append(claim)
        await asyncio.gather(*(self._lane(channel, queue, stop) for channel, queue in lanes.items()))
        return len(claims)

    async def _lane(self, channel: Channel, queue: deque[ClaimedMessage], stop: asyncio.Event | None) -> None:
        sender = self._channels.get(channel)
        if sender is None:  # claimed for a channel that has gone: leave it for later
            while queue:
                await self._settle(queue.popleft(), _release(self._clock.now()))
            return
        if self._gates.is_refused(channel) and queue:
            await self._handle(sender, queue.popleft(), stop)  # the probe goes alone

        async def drain() -> None:
            while queue:
                await self._handle(sender, queue.popleft(), stop)

        await asyncio.gather(*(drain() for _ in range(min(self._policy.concurrency, len(queue)))))

    async def _handle(
        self, sender: MessageChannel, claim: ClaimedMessage, stop: asyncio.Event | None
    ) -> None:
        now = self._clock.now()
        message = claim.message
        held_until = self._gates.paused_until(message.channel, now) or self._gates.recipient_held_until(
            message.channel, message.recipient, now
        )
        if (stop is not None and stop.is_set()) or now >= claim.lease_until - self._policy.lease / 4:
            await self._settle(claim, _release(now))
        elif held_until is not None:
            await self._settle(claim, _release(held_until))
        elif message.expires_at is not None and message.expires_at <= now:
            await self._settle(claim, Settlement(status=S.FAILED, error="expired"))
        elif claim.attempt > self._policy.max_attempts:
            await self._settle(claim, Settlement(status=S.DEAD, error="attempts exhausted"))
        else:
            await self._settle(claim, await self._send(sender, claim))

    async def _send(self, sender: MessageChannel, claim: ClaimedMessage) -> Settlement:
        message, policy = claim.message, self._policy
        try:
            delivery = await sender.send(message)
        except ChannelThrottled as failure:
            until = self._clock.now() + policy.pause(failure.retry_after_seconds)
            self._gates.pause(message.channel, until)
            logger.warning("channel %s throttled: paused until %s", message.channel, until.isoformat())
            return _release(until, failure.reason)
        except RecipientThrottled as failure:
            until = self._clock.now() + policy.pause(failure.retry_after_seconds)
            self._gates.hold_recipient(message.channel, message.recipient, until)
            return _release(until, failure.reason)
        except ChannelUnauthorized as failure:
            until = self._clock.now() + policy.probe_interval
            if self._gates.refuse(message.channel, until):
                logger.error(
                    "ALERT: channel %s refuses our credentials (%s): sending paused, messages kept "
                    "pending, one probe every %s",
                    message.channel,
                    failure.reason,
                    policy.probe_interval,
                )
            return _release(until, failure.reason)
        except PermanentSendFailure as failure:
            return Settlement(status=S.FAILED, error=failure.reason)
        except OutcomeUnknown as failure:
            logger.warning("message %s: outcome unknown (%s), marked uncertain", message.id, failure.reason)
            return Settlement(status=S.UNCERTAIN, error=failure.reason)
        except SendFailure as failure:  # TransientSendFailure, and any kind a channel adds later
            return self._retry(claim, failure.reason, failure.retry_after_seconds)
        except Exception as error:  # a channel broke its contract: retry, but say so
            logger.error(
                "channel %s raised %s for message %s", message.channel, type(error).__name__, message.id
            )
            return self._retry(claim, f"channel error: {type(error).__name__}", None)
        if self._gates.accepted(message.channel):
            logger.warning("channel %s accepts our credentials again: sending resumed", message.channel)
        return Settlement(status=S.SENT, delivery=delivery)

    def _retry(self, claim: ClaimedMessage, reason: str, retry_after: float | None) -> Settlement:
        if claim.attempt >= self._policy.max_attempts:
            logger.warning("message %s dead after %d attempts: %s", claim.message.id, claim.attempt, reason)
            return Settlement(status=S.DEAD, error=reason)
        wait = self._policy.backoff(claim.attempt, at_least=retry_after, rng=self._rng)
        return Settlement(status=S.PENDING, next_attempt_at=self._clock.now() + wait, error=reason)

    async def _settle(self, claim: ClaimedMessage, settlement: Settlement) -> None:
        try:
            kept = await self._store.settle(claim, settlement, now=self._clock.now())
        except Exception as error:  # the store is down: the lease runs out and the message comes back
            logger.warning("could not settle message %s: %s", claim.message.id, type(error).__name__)
            return
        if not kept:
            logger.warning("message %s: lease lost before it was settled", claim.message.id)


def _release(due: datetime, error: str | None = None) -> Settlement:
    return Settlement(status=S.PENDING, next_attempt_at=due, attempt_counted=False, error=error)
