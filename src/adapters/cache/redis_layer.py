"""The shared layer (L2) over Redis or Dragonfly: entries, tag versions, locks, invalidations.

Keys under ``prefix``: ``e:{<key>}`` an entry, ``t:<tag>`` a tag's version, ``l:{<key>}`` the
loader lock of a key; ``inv`` is the invalidation channel. An entry and its lock share the hash
tag ``{<key>}``: on a Redis Cluster they live on one node, so the store that writes the entry and
then releases the lock is seen in that order (a waiter released finds the entry), while entries
spread over the cluster by key. A tag's version is a random token:
invalidating the tag sets a new one (O(1), however many entries carry it). An entry records the
versions of its tags as read before its value was loaded, and is served only while they are all
still current: the lookup reads the entry and its tags' versions in one MGET (one round trip).
A version that is missing (never set, or evicted) matches nothing, and a new one is random, so an
evicted version can never bring an invalidated entry back. Every entry also carries the
all-entries tag ``*``, which a process invalidates when it lost track of what it had to.

On a cluster a lookup's keys span slots: the MGET is split by node (one round trip to each, at
once) and is no longer one atomic read. That is still safe because versions are random and
never reused: an entry is served only when each of its tags still held the entry's version when
that tag was read, so the answer is the one a single-server lookup at that moment would give, and
a lookup that starts after an invalidation completed sees the new version. An invalidation writes
the versions first and publishes once they are written, so no process refills its L1 from an
entry whose tag has not changed yet.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import msgspec
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ConnectionError as BrokenConnection

# One server (Redis, Dragonfly) or a Redis Cluster: the layer works on either.
RedisClient: TypeAlias = Redis | RedisCluster
ALL = "*"
# A version must outlive the entries that carry it, or they miss early (never wrongly): it lives
# twice the longest preset past the last entry stored with it (each store extends it), so the
# all-entries tag never expires while the cache is in use, and unused tags go away.
TAG_TTL_MS = 2 * 86_400_000
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class RemoteEntry(msgspec.Struct, array_like=True, frozen=True):
    """Times are milliseconds since the epoch (our Clock's): every process reads them alike."""

    fresh_until: int
    expires_at: int
    tags: list[tuple[str, bytes]]
    frame: bytes


class Invalidation(msgspec.Struct, frozen=True):
    origin: str
    tags: list[str] = []
    keys: list[str] = []


@dataclass(frozen=True, slots=True)
class Fetched:
    """A lookup's answer: the entry when its tags are current, and the tags' versions now
    (None where a tag has none yet) for storing a newly loaded value."""

    entry: RemoteEntry | None
    versions: tuple[bytes | None, ...]


def new_version() -> bytes:
    return secrets.token_hex(8).encode()


class RedisLayer:
    def __init__(self, client: RedisClient, *, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.channel = f"{prefix}:inv"
        self._entry = f"{prefix}:e:"
        self._tag = f"{prefix}:t:"
        self._lock = f"{prefix}:l:"
        self._cluster = isinstance(client, RedisCluster)
        self._decoder = msgspec.msgpack.Decoder(RemoteEntry)
        self._encoder = msgspec.msgpack.Encoder()

    def entry_key(self, key: str) -> str:
        return f"{self._entry}{{{key}}}"

    def _lock_key(self, key: str) -> str:
        return f"{self._lock}{{{key}}}"

    def _tag_keys(self, tags: Sequence[str]) -> list[str]:
        return [self._tag + tag for tag in (*tags, ALL)]

    async def fetch(self, key: str, tags: Sequence[str]) -> Fetched:
        """One MGET: the entry of ``key`` and the versions of ``tags``."""
        found = await self._mget([self.entry_key(key), *self._tag_keys(tags)])
        entry, versions = self._decode(found), found[1:]
        if entry is not None and not _current(entry, (*tags, ALL), versions):
            entry = None
        return Fetched(entry, tuple(versions))

    async def fetch_any(self, key: str) -> RemoteEntry | None:
        """The entry of ``key`` whatever its tags (two round trips: its tags are in the entry)."""
        entry = self._decode(await self._mget([self.entry_key(key)]))
        if entry is None:
            return None
        names = [tag for tag, _ in entry.tags]
        versions = await self._mget([self._tag + tag for tag in names])
        return entry if _current(entry, names, versions) else None

    async def _mget(self, keys: list[str]) -> list[bytes | None]:
        """MGET straight on a pooled connection: the hot path skips the client's generic command
        machinery, which costs more than the round trip on loopback. A connection that fails is
        disconnected by redis-py before it goes back to the pool; one the server had closed
        while pooled is retried once on a fresh one. On a cluster: one MGET per node, at once."""
        if isinstance(self.client, RedisCluster):
            return await self.client.mget_nonatomic(keys)
        pool = self.client.connection_pool
        for attempt in (1, 2):
            connection = await pool.get_connection()  # type: ignore[no-untyped-call]
            try:
                await connection.send_command("MGET", *keys)
                return await connection.read_response()  # type: ignore[no-any-return]
            except BrokenConnection:
                if attempt == 2:
                    raise
            finally:
                await pool.release(connection)
        raise AssertionError("unreachable")

    def _decode(self, found: list[bytes | None]) -> RemoteEntry | None:
        raw = found[0]
        if raw is None:
            return None
        try:
            return self._decoder.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None  # not ours, or from another version of this code: a miss, then overwritten

    async def store(
        self,
        key: str,
        entry_times: tuple[int, int],
        frame: bytes,
        tags: Sequence[str],
        versions: Sequence[bytes | None],
        *,
        now_ms: int,
        release: str | None = None,
    ) -> None:
        """Write an entry tagged with ``versions`` (as fetched before loading; missing ones are
        created here), and release the loader lock, in one pipeline."""
        names = (*tags, ALL)
        stamped: list[tuple[str, bytes]] = []
        fresh_until, expires_at = entry_times
        async with self.client.pipeline(transaction=False) as pipe:
            for name, version in zip(names, versions, strict=True):
                if version is None:
                    version = new_version()
                    # NX: if another process created it meanwhile, this entry just never matches.
                    pipe.set(self._tag + name, version, nx=True, px=TAG_TTL_MS)
                else:
                    pipe.pexpire(self._tag + name, TAG_TTL_MS)
                stamped.append((name, version))
            body = self._encoder.encode(RemoteEntry(fresh_until, expires_at, stamped, frame))
            pipe.set(self.entry_key(key), body, px=max(1, expires_at - now_ms))
            if release is not None:
                pipe.eval(_RELEASE, 1, self._lock_key(key), release)
            await pipe.execute()

    async def lock(self, key: str, token: str, ms: int) -> bool:
        return bool(await self.client.set(self._lock_key(key), token, nx=True, px=ms))

    async def release(self, key: str, token: str) -> None:
        await self.client.eval(_RELEASE, 1, self._lock_key(key), token)

    async def invalidate(self, tags: Sequence[str], keys: Sequence[str], *, origin: str) -> None:
        """New versions for ``tags``, ``keys`` deleted, and every process told: one pipeline (on
        a cluster, the writes on every node first, then the message)."""
        message = msgspec.json.encode(Invalidation(origin=origin, tags=list(tags), keys=list(keys)))
        async with self.client.pipeline(transaction=False) as pipe:
            for tag in tags:
                pipe.set(self._tag + tag, new_version(), px=TAG_TTL_MS)
            for key in keys:  # one DEL each: entries of a cluster live in different slots
                pipe.delete(self.entry_key(key))
            if not self._cluster:
                pipe.publish(self.channel, message)  # one server runs a pipeline in order
            if len(pipe):
                await pipe.execute()
        if self._cluster:
            # A cluster runs each node's share of a pipeline at once and cannot pipeline PUBLISH.
            await self.client.publish(self.channel, message)


def _current(entry: RemoteEntry, names: Sequence[str], versions: Sequence[bytes | None]) -> bool:
    if len(entry.tags) != len(names):
        return False
    return all(
        tag == name and version is not None and held == version
        for (tag, held), name, version in zip(entry.tags, names, versions, strict=True)
    )
