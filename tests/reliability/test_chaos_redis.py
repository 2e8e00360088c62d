"""Redis killed and frozen under a read load (bench/chaos, CI sizes): RELIABILITY.md, Faults."""

from bench.chaos import redis_frozen, redis_killed
from chaos_support import run_quick


async def test_reads_survive_redis_killed_and_restarted() -> None:
    await run_quick(redis_killed)


async def test_a_frozen_redis_trips_the_breaker_and_hangs_nothing() -> None:
    # Each rate limit (per address, per user, per clinic) waits out its own Redis timeout while
    # Redis is frozen: the limiter has no breaker yet, so a request takes several timeouts.
    await run_quick(redis_frozen, known_gaps=frozenset({"no request past 1 x socket timeout + 0.5s"}))
