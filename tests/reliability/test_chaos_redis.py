"""Redis killed and frozen under a read load (bench/chaos, CI sizes): RELIABILITY.md, Faults."""

from bench.chaos import redis_frozen, redis_killed
from chaos_support import run_quick


async def test_reads_survive_redis_killed_and_restarted() -> None:
    await run_quick(redis_killed)


async def test_a_frozen_redis_trips_the_breaker_and_hangs_nothing() -> None:
    await run_quick(redis_frozen)
