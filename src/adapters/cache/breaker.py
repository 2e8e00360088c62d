"""A circuit breaker around a Redis server, on a monotonic clock (so tests drive it).

One breaker stands for one server: every user of that server in the process (the L2 cache, the
rate limiter, the sign-in code store) shares it, so what one caller learns (the server stopped
answering) spares the others the same wait."""

from __future__ import annotations

from collections import deque
from enum import StrEnum

from redis.exceptions import TimeoutError as RedisTimeout

from application.ports.clock import MonotonicClock


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Closed: calls pass; ``failures`` failures within ``window`` seconds open it, and so does
    one call that timed out (the server did not answer: every caller trying now would wait out
    the same timeout, so nobody should). Open: calls are refused for ``reset_after`` seconds.
    Then half-open: one probe call passes (another one if the probe never reports back within
    ``reset_after``); its success closes the breaker, its failure opens it again. Callers report
    every allowed call's outcome, a failure with its error."""

    def __init__(
        self, clock: MonotonicClock, *, failures: int = 5, window: float = 10.0, reset_after: float = 5.0
    ) -> None:
        self._clock = clock
        self._threshold = max(1, failures)
        self._window = window
        self._reset_after = reset_after
        self._failures: deque[float] = deque()
        self._state = BreakerState.CLOSED
        self._since = 0.0  # when it opened, or when the probe went out
        self.opened = 0

    @property
    def state(self) -> BreakerState:
        return self._state

    def allow(self) -> bool:
        if self._state is BreakerState.CLOSED:
            return True
        now = self._clock.monotonic()
        if now - self._since < self._reset_after:
            return False
        self._state, self._since = BreakerState.HALF_OPEN, now  # this caller is the probe
        return True

    def success(self) -> None:
        if self._state is not BreakerState.CLOSED:
            self._state = BreakerState.CLOSED
            self._failures.clear()

    def failure(self, error: BaseException | None = None) -> None:
        """Count a failed call; ``error``, when it is (or was caused by) a timeout, opens the
        breaker at once."""
        now = self._clock.monotonic()
        if self._state is BreakerState.HALF_OPEN:
            self._open(now)
            return
        if self._state is BreakerState.OPEN:
            return
        if error is not None and timed_out(error):
            self._open(now)
            return
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self._window:
            self._failures.popleft()
        if len(self._failures) >= self._threshold:
            self._open(now)

    def _open(self, now: float) -> None:
        self._state, self._since = BreakerState.OPEN, now
        self._failures.clear()
        self.opened += 1


def timed_out(error: BaseException) -> bool:
    """Whether ``error`` or one of its causes is a timeout (redis-py's or the standard one):
    callers may wrap the client's error (a rate-limit library, ServiceUnavailable)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (TimeoutError, RedisTimeout)):
            return True
        current = current.__cause__ or current.__context__
    return False
