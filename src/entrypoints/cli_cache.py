"""``healthcare cache stats``: the cache counters every running process published.

Each server process publishes its counters every few seconds: to the cache server on the
production profile, to ``{APP_DATA_DIR}/cache-stats`` on the embedded one. This command prints
them per process and in total, with the breaker's state; on the production profile also what the
cache server says of itself. Exit 1 when the cache server cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from redis.exceptions import RedisError

from entrypoints.config import Settings
from entrypoints.ioc.caching import board_of, client_of, shares_cache_server

COMMAND = "cache"
COUNTS = (
    "l1_hits",
    "l2_hits",
    "misses",
    "stale_served",
    "refreshes",
    "refresh_failures",
    "loader_calls",
    "loader_errors",
    "lock_waits",
    "l1_evictions",
    "l1_drops",
    "l1_entries",
    "l1_bytes",
    "l2_errors",
    "invalidations",
    "breaker_opened",
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cache = commands.add_parser(COMMAND, help="the read cache")
    actions = cache.add_subparsers(dest="action", required=True)
    actions.add_parser(
        "stats", help="hits per layer, stale served, refreshes, errors, evictions, breaker state"
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.cache.enabled:
        print("The cache is off (CACHE_ENABLED=false).")
        return 0
    client = client_of(settings) if shares_cache_server(settings) else None
    board = board_of(settings, client)
    if board is None:
        print("The memory profile keeps cache counters in each process only: nothing is published.")
        return 0
    try:
        published = await asyncio.wait_for(board.read(), 5.0)
        server = await _server(client) if client is not None else None
    except (RedisError, OSError, TimeoutError) as exc:
        print(
            f"CACHE_UNAVAILABLE: the cache server cannot be reached ({type(exc).__name__})", file=sys.stderr
        )
        return 1
    finally:
        if client is not None:
            await client.aclose()
    print(_table(published))
    if server is not None:
        print(f"\ncache server: {server}")
    return 0


async def _server(client: Any) -> str:
    memory = await client.info("memory")
    keys = await client.dbsize()
    return f"{memory.get('used_memory_human', '?')} used, {keys} keys in this database"


def _table(published: dict[str, dict[str, Any]]) -> str:
    if not published:
        return "No process published cache counters in the last 30 seconds (is the server running?)."
    names = sorted(published)
    rows = [["", "total", *names]]
    for count in COUNTS:
        values = [int(published[name].get(count, 0)) for name in names]
        rows.append([count, str(sum(values)), *map(str, values)])
    states = [str(published[name].get("breaker_state", "none")) for name in names]
    rows.append(["breaker_state", "", *states])
    hits = sum(int(published[n].get("l1_hits", 0)) + int(published[n].get("l2_hits", 0)) for n in names)
    lookups = hits + sum(int(published[n].get("misses", 0)) for n in names)
    rows.append(["hit_ratio", f"{hits / lookups:.1%}" if lookups else "-", *([""] * len(names))])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"{len(names)} process(es) publishing:"]
    lines += [
        "  ".join(
            cell.rjust(width) if i else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    return "\n".join(lines)
