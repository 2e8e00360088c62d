"""Where pending one-time codes live, and the counters that limit how often they are sent."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.otp import OtpChallenge


@dataclass(frozen=True, slots=True)
class Guess:
    """One evaluated guess: the challenge's code hash to compare with, and how many guesses
    (this one included) the code has had."""

    challenge_id: UUID
    code_hash: str
    attempts: int


class OtpStore(Protocol):
    """Pending codes, by identity hash. Every operation is atomic on its own: the contract suite
    runs them concurrently. A store that cannot be reached raises ServiceUnavailable: sign-in
    fails closed, never open."""

    @abstractmethod
    async def put(self, challenge: OtpChallenge) -> None:
        """Store ``challenge``, replacing any pending code of its identity."""
        ...

    @abstractmethod
    async def guess(self, identity_hash: str, now: datetime) -> Guess | None:
        """Count one guess against the live code of ``identity_hash``. None when there is no live
        code (none, expired, used, or its guesses spent): no guess was counted then."""
        ...

    @abstractmethod
    async def consume(self, identity_hash: str, challenge_id: UUID) -> bool:
        """Use the code up: True for exactly one caller, however many race."""
        ...

    @abstractmethod
    async def lock(self, identity_hash: str, now: datetime, until: datetime) -> bool:
        """Lock the identity until ``until`` unless a lock is live at ``now``; True only for the
        call that locked it (so the lock is audited once)."""
        ...

    @abstractmethod
    async def locked_until(self, identity_hash: str, now: datetime) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``amount`` events per ``per_seconds`` seconds (a moving window)."""

    amount: int
    per_seconds: int


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    remaining: int  # events still allowed in the current window
    reset_after: float  # seconds until the window has room again (0 when it has now)


class RateLimiter(Protocol):
    @abstractmethod
    async def hit(self, key: str, limit: RateLimit) -> RateDecision:
        """Count one event for ``key`` if ``limit`` allows it (a refused event is not counted).
        Raises ServiceUnavailable when the limiter's storage cannot be reached."""
        ...

    async def hit_all(self, hits: Sequence[tuple[str, RateLimit]]) -> list[RateDecision]:
        """Count one event against each (key, limit) in order, up to and including the first
        that refuses it (the ones after it are not counted); the decisions made. A storage may
        do it in one round trip; by default, one ``hit`` after another."""
        decisions: list[RateDecision] = []
        for key, limit in hits:
            decisions.append(await self.hit(key, limit))
            if not decisions[-1].allowed:
                break
        return decisions
