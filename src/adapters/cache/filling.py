"""Filling a TieredCache after an L1 miss (and for a background refresh: see refreshing.py).

``fill`` runs once per key and process at a time (single flight): L2 lookup (one MGET); then,
when L2 has nothing usable, a short lock in L2 so that one process loads while the others wait
up to ``lock_wait_seconds`` for its value (then load themselves: a lock is never a hang); then
the loader; then L1 and L2 are written. A background refresh is the same path, except that only
a fresh value from L2 will do and a lock held elsewhere means another process is refreshing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from typing import Any

from adapters.cache.codec import ValueCodec
from adapters.cache.flight import SingleFlight
from adapters.cache.guarded import FAILED, GuardedLayer
from adapters.cache.local_layer import LocalEntry, LocalLayer, TagSnapshot
from adapters.cache.metrics import Counters
from adapters.cache.options import CacheOptions, Handling, family
from adapters.cache.redis_layer import RemoteEntry
from adapters.cache.refreshing import Refresher
from application.ports.cache import CachePolicy, Compliance, Loader
from application.ports.clock import Clock, MonotonicClock

logger = logging.getLogger(__name__)


class Filling:
    def __init__(
        self,
        *,
        local: LocalLayer | None,
        shared: GuardedLayer | None,
        codec: ValueCodec,
        clock: Clock,
        monotonic: MonotonicClock,
        counters: Counters,
        options: CacheOptions,
    ) -> None:
        self._local, self._shared, self._codec = local, shared, codec
        self._clock, self._monotonic = clock, monotonic
        self._counters, self._options = counters, options
        self.flight = SingleFlight()
        self.offline = shared is not None and local is not None
        self.refresher = Refresher(self.fill, monotonic=monotonic, counters=counters, options=options)

    async def put(self, key: str, value: Any, policy: CachePolicy, h: Handling) -> None:
        snapshot = self._local.snapshot(policy.tags) if self._local is not None else None
        shared, versions = self._shared_for(policy), None
        if shared is not None:
            fetched = await shared.call(lambda layer: layer.fetch(key, policy.tags))
            versions = None if fetched is FAILED else fetched.versions
        await self._store(key, value, policy, h, snapshot, versions, token=None)

    def read(self, key: str, entry: RemoteEntry, returns: Any) -> Any:
        """The value of a live L2 entry; None when expired, or when it does not open or decode
        here (tampered, another key ring, another version of the type): then it is a miss."""
        if entry.expires_at <= self._now_ms():
            return None
        return self._decoded(key, entry, returns)[0]

    def _decoded(self, key: str, entry: RemoteEntry, returns: Any) -> tuple[Any, bytes]:
        try:
            encoded = self._codec.open(entry.frame, key)
            return self._codec.decode(encoded, returns), encoded
        except Exception as exc:
            self._counters.l2_errors += 1
            logger.warning("Unreadable shared cache entry (%s): %s", family(key), type(exc).__name__)
            return None, b""

    async def fill(
        self, key: str, loader: Loader[Any], refresh: Loader[Any], policy: CachePolicy, h: Handling, *,
        refreshing: bool = False,
    ) -> Any:  # fmt: skip
        """The kept form of the value (see Handling.keep), or None when the loader found nothing
        (or, ``refreshing``, when another process is refreshing it)."""
        local, shared = self._local, self._shared_for(policy)
        snapshot = local.snapshot(policy.tags) if local is not None else None
        versions, token = None, None
        if shared is not None:
            fetched = await shared.call(lambda layer: layer.fetch(key, policy.tags))
            if fetched is not FAILED:
                found = self._accept(
                    key, fetched.entry, h, snapshot, policy, refresh, stale_ok=not refreshing
                )
                if found is not None:
                    return found
                versions, token = fetched.versions, secrets.token_hex(8)
                lock_ms, mine = int(self._options.lock_seconds * 1000), token
                held = await shared.call(lambda layer: layer.lock(key, mine, lock_ms))
                if held is FAILED:
                    versions, token = None, None
                elif not held:
                    token = None
                    self._counters.lock_waits += 1
                    found = await self._wait_for_other(shared, key, h, snapshot, policy)
                    if found is not None or refreshing:
                        return found
        self._counters.misses += 0 if refreshing else 1
        self._counters.loader_calls += 1
        try:
            value = await loader()
        except Exception:
            self._counters.loader_errors += 1
            if token is not None and shared is not None:
                await shared.call(lambda layer: layer.release(key, token))
            raise
        kept = await self._store(key, value, policy, h, snapshot, versions, token=token)
        if value is None and refreshing:
            await self._forget(key, policy)
        return kept

    async def _forget(self, key: str, policy: CachePolicy) -> None:
        """A refresh found nothing where a value was (deleted by a write that named none of its
        tags): the stale value stops being served here and, through the shared layer, everywhere."""
        if self._local is not None:
            self._local.delete(key)
        shared = self._shared_for(policy)
        if shared is not None:
            await shared.invalidate((), (key,))

    async def _store(
        self, key: str, value: Any, policy: CachePolicy, h: Handling, snapshot: TagSnapshot | None,
        versions: tuple[bytes | None, ...] | None, *, token: str | None,
    ) -> Any:  # fmt: skip
        shared = self._shared_for(policy)
        if value is None:
            if token is not None and shared is not None:
                await shared.call(lambda layer: layer.release(key, token))
            return None
        encoded = self._codec.encode(value)
        kept = h.keep(value, encoded, owned=False)
        ttl = policy.ttl if self._options.max_ttl is None else min(policy.ttl, self._options.max_ttl)
        fresh = min(policy.fresh_for, ttl)
        if self._local is not None and snapshot is not None:
            now = self._monotonic.monotonic()
            self._local.put(key, self._entry(kept, h, encoded, now, now + fresh, now + ttl, snapshot))
        if shared is not None and versions is not None:
            now_ms = self._now_ms()
            sensitive = policy.compliance is Compliance.SENSITIVE
            frame = self._codec.seal(encoded, key, compress=policy.compress, encrypt=sensitive)
            times = (now_ms + int(fresh * 1000), now_ms + int(ttl * 1000))
            await shared.call(
                lambda layer: layer.store(
                    key, times, frame, policy.tags, versions, now_ms=now_ms, release=token
                )
            )
        return kept

    def _accept(
        self, key: str, entry: RemoteEntry | None, h: Handling, snapshot: TagSnapshot | None,
        policy: CachePolicy, refresh: Loader[Any], *, stale_ok: bool,
    ) -> Any:  # fmt: skip
        if entry is None:
            return None
        now_ms = self._now_ms()
        stale = entry.fresh_until <= now_ms
        if entry.expires_at <= now_ms or (stale and not stale_ok):
            return None
        value, encoded = self._decoded(key, entry, h.returns)
        if value is None:
            return None
        kept = h.keep(value, encoded, owned=True)
        if self._local is not None and snapshot is not None:
            now = self._monotonic.monotonic()
            fresh_until = now + (entry.fresh_until - now_ms) / 1000
            expires_at = now + (entry.expires_at - now_ms) / 1000
            self._local.put(key, self._entry(kept, h, encoded, now, fresh_until, expires_at, snapshot))
        if stale:
            self._counters.stale_served += 1
            self.refresher.later(key, refresh, policy, h)
        else:
            self._counters.l2_hits += 1
        return kept

    async def _wait_for_other(
        self, shared: GuardedLayer, key: str, h: Handling, snapshot: TagSnapshot | None, policy: CachePolicy
    ) -> Any:
        """Poll L2 for the value another process is loading, until ``lock_wait_seconds`` pass."""
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + self._options.lock_wait_seconds, 0.002
        while (left := deadline - loop.time()) > 0:
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)
            fetched = await shared.call(lambda layer: layer.fetch(key, policy.tags))
            if fetched is FAILED:
                return None
            found = self._accept(key, fetched.entry, h, snapshot, policy, _nothing, stale_ok=False)
            if found is not None:
                return found
        return None

    def _entry(
        self, kept: Any, h: Handling, encoded: bytes, now: float, fresh_until: float, expires_at: float,
        snapshot: TagSnapshot,
    ) -> LocalEntry:  # fmt: skip
        if self.offline:  # invalidations may not reach this process now: keep values briefly
            brief = self._options.offline_ttl * (0.8 + 0.2 * random.random())  # noqa: S311 - spread refreshes
            fresh_until, expires_at = min(fresh_until, now + brief), min(expires_at, now + 2 * brief)
        if self._options.max_ttl is not None:
            expires_at = min(expires_at, now + self._options.max_ttl)
        return LocalEntry(
            kept, h.copier, size=len(encoded), fresh_until=fresh_until, expires_at=expires_at,
            snapshot=snapshot,
        )  # fmt: skip

    def _shared_for(self, policy: CachePolicy) -> GuardedLayer | None:
        if policy.compliance is Compliance.RESTRICTED:
            return None
        if policy.compliance is Compliance.SENSITIVE and not self._codec.can_encrypt:
            return None  # PHI never leaves the process in the clear
        return self._shared

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)


async def _nothing() -> None:
    return None
