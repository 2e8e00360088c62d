"""PostgreSQL restarted and slow, through a TCP fault proxy (bench/chaos, CI sizes):
RELIABILITY.md, Faults."""

from bench.chaos import postgres_restart, slow_database
from chaos_support import run_quick


async def test_writes_through_a_postgres_restart_keep_audit_and_outbox_whole() -> None:
    await run_quick(postgres_restart)


async def test_statements_over_the_timeout_answer_503_and_leave_the_pool_healthy() -> None:
    await run_quick(slow_database)
