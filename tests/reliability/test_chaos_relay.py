"""The relay killed while holding messages, and WhatsApp down then back (bench/chaos, CI sizes):
RELIABILITY.md, Faults."""

from bench.chaos import relay_killed, whatsapp_down
from chaos_support import run_quick


async def test_a_killed_relay_loses_nothing_and_resends_only_started_sends() -> None:
    await run_quick(relay_killed)


async def test_a_whatsapp_outage_fails_nothing_and_the_backlog_drains_at_the_rate() -> None:
    await run_quick(whatsapp_down)
