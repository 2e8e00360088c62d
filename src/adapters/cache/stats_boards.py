"""Where each process publishes its cache counters, for ``healthcare cache stats`` to read.

A board holds one snapshot per process, replaced every ``interval`` seconds and forgotten after
STALE_AFTER seconds without one (a process that died). Redis on the production profile (the
cache server every process shares); a directory of JSON files on the embedded one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from adapters.cache.redis_layer import RedisClient
from adapters.cache.tasks import stop
from application.ports.cache import Cache

STALE_AFTER = 30.0
logger = logging.getLogger(__name__)
Snapshot = dict[str, Any]


class StatsBoard(ABC):
    @abstractmethod
    async def publish(self, instance: str, stats: Snapshot) -> None: ...

    @abstractmethod
    async def withdraw(self, instance: str) -> None: ...

    @abstractmethod
    async def read(self) -> dict[str, Snapshot]:
        """Every live process's latest snapshot, by instance."""
        ...


class RedisStatsBoard(StatsBoard):
    def __init__(self, client: RedisClient, *, prefix: str) -> None:
        self._client = client
        self._prefix = f"{prefix}:s:"

    async def publish(self, instance: str, stats: Snapshot) -> None:
        await self._client.set(self._prefix + instance, json.dumps(stats), px=int(STALE_AFTER * 1000))

    async def withdraw(self, instance: str) -> None:
        await self._client.delete(self._prefix + instance)

    async def read(self) -> dict[str, Snapshot]:
        # On a cluster the scan visits every primary and the MGET is split by slot.
        keys = [key async for key in self._client.scan_iter(f"{self._prefix}*", count=500)]
        if not keys:
            return {}
        if isinstance(self._client, RedisCluster):
            values = await self._client.mget_nonatomic(keys)
        else:
            values = await self._client.mget(keys)
        start = len(self._prefix)
        return {
            _text(key)[start:]: json.loads(value) for key, value in zip(keys, values, strict=True) if value
        }


class FileStatsBoard(StatsBoard):
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def publish(self, instance: str, stats: Snapshot) -> None:
        await asyncio.to_thread(self._write, instance, json.dumps(stats))

    async def withdraw(self, instance: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self._path(instance).unlink)

    async def read(self) -> dict[str, Snapshot]:
        return await asyncio.to_thread(self._read)

    def _path(self, instance: str) -> Path:
        return self._directory / f"{instance.replace(':', '_')}.json"

    def _write(self, instance: str, text: str) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._path(instance)
        partial = path.with_suffix(".tmp")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)  # readers never see half a file

    def _read(self) -> dict[str, Snapshot]:
        if not self._directory.is_dir():
            return {}
        live = time.time() - STALE_AFTER
        found: dict[str, Snapshot] = {}
        for path in sorted(self._directory.glob("*.json")):
            with contextlib.suppress(OSError, ValueError):
                if path.stat().st_mtime >= live:
                    found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        return found


class StatsPublisher:
    """Publishes ``cache.stats()`` every ``interval`` seconds until closed, then withdraws it."""

    def __init__(self, cache: Cache, board: StatsBoard, *, instance: str, interval: float = 2.0) -> None:
        self._cache, self._board = cache, board
        self._instance, self._interval = instance, interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="cache-stats")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await stop([task])
        with contextlib.suppress(RedisError, OSError, TimeoutError, RuntimeError):
            await asyncio.wait_for(self._board.withdraw(self._instance), 1.0)

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(
                    self._board.publish(self._instance, self._cache.stats().as_dict()), 2.0
                )
            except (RedisError, OSError, TimeoutError) as exc:
                logger.debug("cache stats not published: %s", type(exc).__name__)
            await asyncio.sleep(self._interval)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
