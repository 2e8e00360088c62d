"""The invalidation channel: what other processes invalidate reaches this process's L1.

One subscriber task per process on the channel ``<prefix>:inv``. It pings the server every
``ping_interval`` seconds; silence past that and the timeout counts as a lost connection, as
does any error. On a lost connection the process drops its L1 (it may have missed
invalidations) and keeps new L1 entries short-lived until it is subscribed again; once the
subscription is confirmed it drops L1 once more, for the values read while it was away.
On a Redis Cluster a published message reaches every node, so the subscription is to one node
(the one serving the channel's slot); when that node is lost, so is the subscription, and the
next one finds the channel's node anew.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import msgspec
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from adapters.cache.redis_layer import Invalidation, RedisClient
from adapters.cache.tasks import stop

logger = logging.getLogger(__name__)


class InvalidationListener:
    def __init__(
        self,
        client: RedisClient,
        channel: str,
        *,
        origin: str,
        apply: Callable[[list[str], list[str]], None],
        online: Callable[[bool], None],
        ping_interval: float = 1.0,
        timeout: float = 0.5,
        max_backoff: float = 5.0,
    ) -> None:
        self._client = client
        self._channel = channel
        self._origin = origin
        self._apply = apply
        self._online = online
        self._ping_interval = ping_interval
        self._timeout = timeout
        self._max_backoff = max_backoff
        self._decoder = msgspec.json.Decoder(Invalidation)
        self._task: asyncio.Task[None] | None = None
        self.connected = False
        self.subscriptions = 0  # how many times it (re)subscribed: tests wait on it

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="cache-invalidations")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await stop([task])

    async def _run(self) -> None:
        delay = 0.05
        while True:
            try:
                await self._listen()
            except (RedisError, OSError, TimeoutError, ConnectionError) as exc:
                level = logging.WARNING if self.connected else logging.DEBUG
                logger.log(level, "Cache invalidation channel lost (%s); dropping L1", type(exc).__name__)
            if self.connected:
                self.connected, delay = False, 0.05
                self._online(False)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_backoff)

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        if isinstance(self._client, RedisCluster):
            async with asyncio.timeout(self._timeout * 2):
                await self._client.initialize()  # the pubsub finds the channel's node in its map
        pubsub = self._client.pubsub()
        try:
            async with asyncio.timeout(self._timeout * 2):
                await pubsub.subscribe(self._channel)
            last_seen = pinged = loop.time()
            while True:
                message = await pubsub.get_message(timeout=self._ping_interval)
                now = loop.time()
                if message is not None:
                    last_seen = now
                    self._handle(message)
                elif now - last_seen > self._ping_interval + self._timeout:
                    raise ConnectionError("no answer on the invalidation channel")
                if now - pinged >= self._ping_interval:
                    pinged = now
                    async with asyncio.timeout(self._timeout):
                        await pubsub.ping()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.aclose(), self._timeout)  # type: ignore[no-untyped-call]

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            self.connected = True
            self.subscriptions += 1
            self._online(True)
        elif kind == "message":
            try:
                note = self._decoder.decode(message["data"])
            except (msgspec.DecodeError, KeyError):
                return
            if note.origin != self._origin:
                self._apply(note.tags, note.keys)
