"""``healthcare cache stats``: what running processes published, per process and in total, from
the embedded profile's directory and from the production profile's cache server."""

from __future__ import annotations

import argparse
import socket
from pathlib import Path

import pytest

from adapters.cache.local import MemoryCache
from adapters.cache.stats_boards import FileStatsBoard, RedisStatsBoard, StatsPublisher
from application.ports.cache import FREQUENT, CacheStats
from cache_support import ManualTime, delete_prefixed, new_prefix, reachable_redis, redis_address, wait_until
from entrypoints import cli_cache
from entrypoints.config import Settings, load_settings

SECRETS = {
    "JWT_SECRET": "p" * 40,
    "SECURITY_PHI_ENCRYPTION_KEY": "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
    "SECURITY_BLIND_INDEX_KEY": "b" * 40,
    "SECURITY_AUDIT_KEY": "a" * 40,
    "SECURITY_OTP_HASH_KEY": "o" * 40,
}


def settings(tmp_path: Path, **environ: str) -> Settings:
    return load_settings(
        {"APP_DATA_DIR": str(tmp_path / "data"), **environ}, base_dir=tmp_path, in_container=False
    )


async def stats(settings: Settings) -> int:
    parser = argparse.ArgumentParser()
    cli_cache.add_parser(parser.add_subparsers(dest="command"))
    return await cli_cache.run(parser.parse_args(["cache", "stats"]), settings)


async def test_the_embedded_profile_reads_what_its_processes_published(tmp_path: Path, capsys) -> None:
    embedded = settings(tmp_path, APP_PROFILE="embedded")
    board = FileStatsBoard(tmp_path / "data" / "cache-stats")
    time = ManualTime()
    cache = MemoryCache(clock=time, monotonic=time)

    async def load() -> str:
        return "value"

    for _ in range(3):
        await cache.get_or_load("k", load, FREQUENT, returns=str)
    publisher = StatsPublisher(cache, board, instance="host:1:aa", interval=0.01)
    publisher.start()
    await wait_until(
        lambda: (tmp_path / "data" / "cache-stats" / "host_1_aa.json").exists(), what="a snapshot"
    )
    await board.publish("host:2:bb", CacheStats(l1_hits=10, misses=2).as_dict())
    assert await stats(embedded) == 0
    out = capsys.readouterr().out
    assert "2 process(es)" in out and "host_1_aa" in out
    assert _row(out, "l1_hits")[:2] == ["l1_hits", "12"] and _row(out, "misses")[:2] == ["misses", "3"]
    assert _row(out, "hit_ratio")[1] == "80.0%"
    await publisher.close()  # withdraws its snapshot
    assert await stats(embedded) == 0
    assert "1 process(es)" in capsys.readouterr().out


@pytest.mark.redis
async def test_the_production_profile_reads_the_cache_server(tmp_path: Path, capsys) -> None:
    redis = await reachable_redis()
    prefix = new_prefix()
    host, port, db = redis_address()
    production = settings(
        tmp_path, APP_PROFILE="production", CACHE_HOST=host, CACHE_PORT=str(port), CACHE_DB=str(db),
        CACHE_KEY_PREFIX=prefix, **SECRETS,
    )  # fmt: skip
    try:
        board = RedisStatsBoard(redis, prefix=prefix)
        await board.publish("api-1", CacheStats(l1_hits=5, l2_hits=3, breaker_state="closed").as_dict())
        await board.publish(
            "api-2", CacheStats(l2_errors=4, breaker_state="open", breaker_opened=1).as_dict()
        )
        assert await stats(production) == 0
        out = capsys.readouterr().out
        assert _row(out, "l2_hits")[:2] == ["l2_hits", "3"] and _row(out, "breaker_state")[1:] == [
            "closed",
            "open",
        ]
        assert "cache server:" in out
    finally:
        await delete_prefixed(redis, prefix)
        await redis.aclose()


async def test_an_unreachable_cache_server_is_exit_1(tmp_path: Path, capsys) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    production = settings(
        tmp_path, APP_PROFILE="production", CACHE_HOST="127.0.0.1", CACHE_PORT=str(closed), **SECRETS
    )
    assert await stats(production) == 1
    assert "CACHE_UNAVAILABLE" in capsys.readouterr().err


async def test_the_memory_profile_has_nothing_published(tmp_path: Path, capsys) -> None:
    assert await stats(settings(tmp_path, APP_PROFILE="memory")) == 0
    assert "memory profile" in capsys.readouterr().out


def _row(out: str, name: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.startswith(name))
