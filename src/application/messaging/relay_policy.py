"""How patiently the relay works: batch, lease, attempts, backoff, pauses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayPolicy:
    """The relay's settings (APP_OUTBOX_*).

    - ``batch_size`` messages are claimed at a time, each under a lease of ``lease``;
      ``concurrency`` sends run at once per channel.
    - A transient failure waits ``backoff(attempt)``; after ``max_attempts`` the message is DEAD.
    - ``throttle_pause``: how long a throttled channel or recipient waits when the provider
      names no time itself. ``probe_interval``: how long a channel whose credentials were refused
      stays paused before one message probes it again.
    """

    batch_size: int = 20
    lease: timedelta = timedelta(seconds=60)
    concurrency: int = 4
    max_attempts: int = 12
    backoff_base: timedelta = timedelta(seconds=2)
    backoff_max: timedelta = timedelta(minutes=10)
    throttle_pause: timedelta = timedelta(seconds=30)
    probe_interval: timedelta = timedelta(seconds=60)

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.concurrency < 1 or self.max_attempts < 1:
            raise ValueError("batch size, concurrency and attempts must be at least 1")
        if self.lease <= timedelta(0):
            raise ValueError("the lease must be positive")

    def backoff(self, attempt: int, *, at_least: float | None = None, rng: random.Random) -> timedelta:
        """Exponential backoff with jitter: the ``attempt``-th failure waits between half and all of
        ``base * 2**(attempt-1)`` (capped at ``backoff_max``), and never less than ``at_least``
        seconds (the provider's Retry-After). Jitter spreads the retries of messages that failed
        together, so that they do not all come back at once."""
        ceiling = min(
            self.backoff_max.total_seconds(), self.backoff_base.total_seconds() * 2 ** (attempt - 1)
        )
        seconds = ceiling / 2 + rng.random() * ceiling / 2
        return timedelta(seconds=max(seconds, at_least or 0.0))

    def pause(self, retry_after_seconds: float | None) -> timedelta:
        """How long a throttled channel or recipient waits."""
        if retry_after_seconds is not None and retry_after_seconds > 0:
            return timedelta(seconds=retry_after_seconds)
        return self.throttle_pause
