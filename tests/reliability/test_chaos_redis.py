"""Redis killed and frozen under a read load (bench/chaos, CI sizes): RELIABILITY.md, Faults."""

from bench.chaos import redis_frozen, redis_killed
from chaos_support import run_quick


async def test_reads_survive_redis_killed_and_restarted() -> None:
    await run_quick(redis_killed)


async def test_a_frozen_redis_trips_the_breaker_and_hangs_nothing() -> None:
    # The rate limiter now skips a failed store and probes it once per interval, so requests
    # during the freeze answer in milliseconds (p99 64 ms, was 2 s). Left: the first request
    # after the freeze waits out two socket timeouts, the limiter's and the cache's, because
    # their breakers do not share what they learn about the one Redis they both use.
    # That first request's figure sits at the bound (1.00-1.04 s against 1.00 s), so some runs pass.
    gap = frozenset({"no request past 1 x socket timeout + 0.5s"})
    await run_quick(redis_frozen, known_gaps=gap, borderline=True)
