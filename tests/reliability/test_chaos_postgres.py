"""PostgreSQL restarted and slow, through a TCP fault proxy (bench/chaos, CI sizes):
RELIABILITY.md, Faults."""

from bench.chaos import postgres_restart, slow_database
from chaos_support import run_quick


async def test_writes_through_a_postgres_restart_keep_audit_and_outbox_whole() -> None:
    await run_quick(postgres_restart)


async def test_statements_over_the_timeout_answer_503_and_leave_the_pool_healthy() -> None:
    # Over a slow link the client now stops waiting a little after the statement timeout (it
    # used to wait as long as the network took, 25-60 s); left: the pool's pre-ping and the
    # statement each wait out that deadline, so an answer takes about twice the bound.
    await run_quick(slow_database, known_gaps=frozenset({"slow link: within timeout + 1s"}))
