"""The read cache, measured in one bounded run next to cashews and aiocache (issue 6's table).

Scenarios: L1 hit and decorator hit; L2 hit against a bare redis-py GET (plain and encrypted);
p99.9 of 50 clients while a value is stale (loader 50 ms), SWR against a blocking refresh;
1,000 concurrent misses of one key; an invalidation seen by a second process; Redis frozen then
refusing connections (through a local TCP fault proxy, never touching the server itself); and
the database load of Zipf(1.0) reads over 100,000 patients with the cache off and on, counted by
PostgreSQL (pg_stat_user_tables; pg_stat_statements needs a server restart to load). Redis keys
live under a prefix of the run's own, the patients in a schema of its own; both are removed,
also when the run fails or is interrupted (Ctrl-C, SIGTERM), and the keys carry a TTL in case
even that cleanup cannot run (SIGKILL). Prints the machine, the versions, one table with the
ratios, and writes bench/results/cache.json.

    make bench     # or: .venv/bin/python bench/cache.py
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import platform
import random
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from adapters.cache.clock import SystemMonotonicClock  # noqa: E402
from adapters.cache.codec import ValueCodec  # noqa: E402
from adapters.cache.layered import LayeredCache  # noqa: E402
from adapters.cache.local import MemoryCache  # noqa: E402
from adapters.cache.redis import RedisCache, cache_client  # noqa: E402
from adapters.crypto.field_cipher import AesGcmFieldCipher  # noqa: E402
from adapters.system.clock import SystemClock  # noqa: E402
from application.caching import QueryCache, cached  # noqa: E402
from application.ports.cache import SEMI_STATIC, CachePolicy, Compliance  # noqa: E402
from domain.clinics import Clinic  # noqa: E402
from domain.contact import Email, PhoneNumber  # noqa: E402

REDIS = urlparse(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
HOST, PORT, DB = REDIS.hostname or "127.0.0.1", REDIS.port or 6379, int(REDIS.path.lstrip("/") or 0)
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PREFIX = f"bench-cache-{uuid.uuid4().hex[:12]}"
CLOCK, MONO = SystemClock(), SystemMonotonicClock()
CIPHER = AesGcmFieldCipher("b1", {"b1": bytes(range(32))})
POLICY = CachePolicy(ttl=3600, tags=("clinic:bench",))
SENSITIVE = CachePolicy(ttl=3600, tags=("clinic:bench",), compliance=Compliance.SENSITIVE)
RESULTS: dict[str, Any] = {}
KEY_TTL = 3600  # every key the run writes expires: nothing outlives a run that was killed


def record() -> Clinic:
    now = datetime.now(UTC)
    return Clinic(
        id=uuid.uuid4(),
        name="Harbour Family Clinic of the Northern Quays",
        time_zone="Europe/Lisbon",
        contact_email=Email("front.desk@harbour-family-clinic.example"),
        contact_phone=PhoneNumber("+351210000000"),
        created_at=now,
        updated_at=now,
        created_by=uuid.uuid4(),
        updated_by=uuid.uuid4(),
    )


VALUE = record()


async def value_loader() -> Clinic:
    return VALUE


async def median_us(op: Callable[[], Awaitable[Any]], n: int) -> float:
    for _ in range(n // 10):
        await op()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(n):
        start = clock()
        await op()
        samples.append(clock() - start)
    return statistics.median(samples) / 1000


async def medians_us(ops: dict[str, Callable[[], Awaitable[Any]]], n: int) -> dict[str, float]:
    """Medians of operations timed in turn, one call of each per round, so that a machine that
    speeds up or slows down during the run affects each of them alike."""
    for op in ops.values():
        for _ in range(n // 10):
            await op()
    samples: dict[str, list[int]] = {name: [] for name in ops}
    clock = time.perf_counter_ns
    for _ in range(n):
        for name, op in ops.items():
            start = clock()
            await op()
            samples[name].append(clock() - start)
    return {name: statistics.median(values) / 1000 for name, values in samples.items()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def zipf(n: int, s: float = 1.0) -> Callable[[random.Random], int]:
    cumulative, total = [], 0.0
    for rank in range(1, n + 1):
        total += 1 / rank**s
        cumulative.append(total)
    return lambda rng: bisect.bisect_left(cumulative, rng.random() * total) + 1


class Reads:
    """A query use case's shape, for the decorator's hit."""

    def __init__(self, cache: QueryCache) -> None:
        self.cache = cache

    @cached("clinic:{clinic_id}", policy=SEMI_STATIC, tags=("clinic:{clinic_id}",))
    async def load(self, clinic_id: UUID) -> Clinic | None:
        return VALUE


async def l1_hits() -> None:
    from aiocache import Cache as AioCache
    from aiocache import cached as aio_cached
    from cashews import Cache as Cashews

    n = 50_000
    ours = MemoryCache(clock=CLOCK, monotonic=MONO)
    await ours.get_or_load("clinic:1", value_loader, POLICY, returns=Clinic)
    r = RESULTS["l1"] = {"record_bytes": len(ValueCodec().encode(VALUE))}
    r["ours_get_or_load"] = await median_us(
        lambda: ours.get_or_load("clinic:1", value_loader, POLICY, returns=Clinic), n
    )
    reads, clinic_id = Reads(QueryCache(ours)), uuid.uuid4()
    r["ours_decorator"] = await median_us(lambda: reads.load(clinic_id), n)
    codec, encoded = ValueCodec(), ValueCodec().encode(VALUE)

    async def decode() -> Clinic:
        return codec.decode(encoded, Clinic)  # type: ignore[no-any-return]

    r["decode_per_hit"] = await median_us(decode, n)
    table = {"k": VALUE}

    async def lookup() -> Clinic:
        return table["k"]

    r["dict_lookup"] = await median_us(lookup, n)
    cashews = Cashews()
    cashews.setup("mem://")
    await cashews.set("clinic:1", VALUE, expire=3600)
    r["cashews_get"] = await median_us(lambda: cashews.get("clinic:1"), n)

    @cashews(ttl="1h")
    async def cashews_read(clinic_id: str) -> Clinic:
        return VALUE

    r["cashews_decorator"] = await median_us(lambda: cashews_read("c1"), n)
    aio = AioCache(AioCache.MEMORY)
    await aio.set("clinic:1", VALUE)
    r["aiocache_get"] = await median_us(lambda: aio.get("clinic:1"), n)

    @aio_cached(ttl=3600)
    async def aio_read(clinic_id: str) -> Clinic:
        return VALUE

    r["aiocache_decorator"] = await median_us(lambda: aio_read("c1"), n)
    await ours.close()


async def l2_hits() -> None:
    from aiocache import Cache as AioCache
    from aiocache.serializers import PickleSerializer
    from cashews import Cache as Cashews

    n = 4_000
    redis = cache_client(host=HOST, port=PORT, db=DB, password="", timeout=1.0, max_connections=8)
    await redis.set(f"{PREFIX}:bare", ValueCodec().encode(VALUE), ex=KEY_TTL)
    ours = RedisCache(redis, prefix=PREFIX, clock=CLOCK, monotonic=MONO, cipher=CIPHER)
    await ours.get_or_load("l2:clinic:1", value_loader, POLICY, returns=Clinic)
    await ours.get_or_load("l2:clinic:2", value_loader, SENSITIVE, returns=Clinic)
    cashews = Cashews()
    cashews.setup(f"redis://{HOST}:{PORT}/{DB}", client_side=False)
    await cashews.set(f"{PREFIX}:cashews", VALUE, expire=KEY_TTL)
    aio = AioCache(
        AioCache.REDIS,
        endpoint=HOST,
        port=PORT,
        db=DB,
        namespace=f"{PREFIX}:aio",
        serializer=PickleSerializer(),
    )
    await aio.set("clinic", VALUE, ttl=KEY_TTL)
    RESULTS["l2"] = await medians_us(
        {
            "bare_get": lambda: redis.get(f"{PREFIX}:bare"),
            "ours": lambda: ours.get_or_load("l2:clinic:1", value_loader, POLICY, returns=Clinic),
            "ours_sensitive": lambda: ours.get_or_load(
                "l2:clinic:2", value_loader, SENSITIVE, returns=Clinic
            ),
            "cashews_get": lambda: cashews.get(f"{PREFIX}:cashews"),
            "aiocache_get": lambda: aio.get("clinic"),
        },
        n,
    )
    await cashews.delete(f"{PREFIX}:cashews")
    await cashews.close()
    await aio.delete("clinic")
    await aio.close()
    await ours.close()
    await redis.aclose()


async def clients(
    read: Callable[[], Awaitable[Any]], *, seconds: float, count: int = 50
) -> tuple[list[float], int]:
    """``count`` clients each reading once a millisecond for ``seconds``: latencies (ms), errors."""
    loop, latencies, errors = asyncio.get_running_loop(), [], 0
    stop = loop.time() + seconds

    async def client() -> None:
        nonlocal errors
        while loop.time() < stop:
            start = time.perf_counter()
            try:
                await read()
            except Exception:
                errors += 1
            latencies.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.001)

    await asyncio.gather(*(client() for _ in range(count)))
    return latencies, errors


async def stale_reads() -> None:
    from aiocache import cached as aio_cached
    from cashews import Cache as Cashews

    calls = 0

    async def slow() -> Clinic:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return VALUE

    r = RESULTS["stale"] = {}
    for name, policy in (
        ("blocking", CachePolicy(ttl=0.25, stale_time=0.25)),
        ("swr", CachePolicy(ttl=3600, stale_time=0.25)),
    ):
        ours, calls = MemoryCache(clock=CLOCK, monotonic=MONO), 0
        latencies, _ = await clients(
            lambda p=policy, c=ours: c.get_or_load("k", slow, p, returns=Clinic), seconds=2.5
        )
        r[f"ours_{name}"] = {
            "p999_ms": percentile(latencies, 0.999),
            "p50_ms": percentile(latencies, 0.5),
            "loads": calls,
        }
        await ours.close()
    cashews = Cashews()
    cashews.setup("mem://")

    @cashews.early(ttl="1h", early_ttl=timedelta(milliseconds=250))
    async def early(key: str) -> Clinic:
        return await slow()

    calls = 0
    latencies, _ = await clients(lambda: early("k"), seconds=2.5)
    r["cashews_early"] = {"p999_ms": percentile(latencies, 0.999), "loads": calls}

    @aio_cached(ttl=0.25)
    async def aio(key: str) -> Clinic:
        return await slow()

    calls = 0
    latencies, _ = await clients(lambda: aio("k"), seconds=2.5)
    r["aiocache_blocking"] = {"p999_ms": percentile(latencies, 0.999), "loads": calls}


async def stampede() -> None:
    from aiocache import cached as aio_cached
    from aiocache.decorators import cached_stampede
    from cashews import Cache as Cashews

    calls = 0

    async def slow(*_: Any) -> Clinic:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return VALUE

    r = RESULTS["stampede"] = {}
    ours = MemoryCache(clock=CLOCK, monotonic=MONO)
    await asyncio.gather(*(ours.get_or_load("k", slow, POLICY, returns=Clinic) for _ in range(1000)))
    r["ours_one_process"], calls = calls, 0
    redis_a, redis_b = (
        cache_client(host=HOST, port=PORT, db=DB, password="", timeout=1.0, max_connections=8)
        for _ in range(2)
    )
    a, b = (LayeredCache(c, prefix=PREFIX, clock=CLOCK, monotonic=MONO) for c in (redis_a, redis_b))
    await asyncio.gather(
        *(
            cache.get_or_load("stampede:shared", slow, POLICY, returns=Clinic)
            for cache in (a, b)
            for _ in range(1000)
        )
    )
    r["ours_two_caches_sharing_redis"], calls = calls, 0
    for cache in (ours, a, b):
        await cache.close()
    await redis_a.aclose()
    await redis_b.aclose()
    cashews = Cashews()
    cashews.setup("mem://")
    plain, locked = cashews(ttl="1h")(slow), cashews(ttl="1h", lock=True)(slow)
    await asyncio.gather(*(plain("k") for _ in range(1000)))
    r["cashews"], calls = calls, 0
    await asyncio.gather(*(locked("k2") for _ in range(1000)))
    r["cashews_lock"], calls = calls, 0
    await asyncio.gather(*(aio_cached(ttl=3600)(slow)("k") for _ in range(1000)))
    r["aiocache"], calls = calls, 0
    protected = cached_stampede(ttl=3600, lease=2)(slow)
    await asyncio.gather(*(protected("k") for _ in range(1000)))
    r["aiocache_stampede"] = calls


async def peer(prefix: str) -> None:
    """The second process: prints the monotonic time at which each invalidation reached its L1."""
    redis = cache_client(host=HOST, port=PORT, db=DB, password="", timeout=1.0, max_connections=4)
    cache = LayeredCache(redis, prefix=prefix, clock=CLOCK, monotonic=MONO)
    forget = cache.forget

    def seen(tags: list[str], keys: list[str]) -> None:
        forget(tags, keys)
        print(f"{time.monotonic()} {tags[0]}", flush=True)

    cache.listener._apply = seen
    cache.start()
    await until(lambda: cache.listener.connected)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await cache.close()
    await redis.aclose()


async def invalidation_latency() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--peer",
        PREFIX,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    assert (await asyncio.wait_for(process.stdout.readline(), 10)).strip() == b"ready"
    redis = cache_client(host=HOST, port=PORT, db=DB, password="", timeout=1.0, max_connections=4)
    cache = LayeredCache(redis, prefix=PREFIX, clock=CLOCK, monotonic=MONO)
    latencies = []
    for i in range(500):
        sent = time.monotonic()
        await cache.invalidate_tags(f"bench:{i}")
        seen, _ = (await asyncio.wait_for(process.stdout.readline(), 10)).split()
        latencies.append((float(seen) - sent) * 1000)
    process.stdin.close()
    await process.wait()
    await cache.close()
    await redis.aclose()
    RESULTS["invalidation"] = {"p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}


class Proxy:
    """A TCP proxy in front of Redis that can freeze (hold every byte) or refuse connections."""

    def __init__(self) -> None:
        self.flowing, self.writers, self.server, self.port = asyncio.Event(), set(), None, 0
        self.flowing.set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.writers):
            writer.transport.abort()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(HOST, PORT)
        self.writers |= {writer, up_writer}
        await asyncio.gather(
            self.pipe(reader, up_writer), self.pipe(up_reader, writer), return_exceptions=True
        )

    async def pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            await self.flowing.wait()
            sink.write(data)
            await sink.drain()
        sink.transport.abort()


async def redis_faults() -> None:
    draw, rng = zipf(100_000), random.Random(7)

    async def db() -> Clinic:
        await asyncio.sleep(0.001)  # a primary-key read
        return VALUE

    def reader(cache: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: cache.get_or_load(f"faults:{draw(rng)}", db, POLICY, returns=Clinic)

    r = RESULTS["faults"] = {}
    baseline = MemoryCache(clock=CLOCK, monotonic=MONO)
    await clients(reader(baseline), seconds=1)
    latencies, errors = await clients(reader(baseline), seconds=3)
    r["no_redis"] = {"p99_ms": percentile(latencies, 0.99), "errors": errors}
    proxy = Proxy()
    await proxy.start()
    redis = cache_client(
        host="127.0.0.1", port=proxy.port, db=DB, password="", timeout=0.5, max_connections=64
    )
    cache = LayeredCache(redis, prefix=PREFIX, clock=CLOCK, monotonic=MONO, timeout=0.5)
    cache.start()
    await clients(reader(cache), seconds=1)
    latencies, errors = await clients(reader(cache), seconds=3)
    r["healthy"] = {"p99_ms": percentile(latencies, 0.99), "errors": errors}
    frozen_at, opened_at = time.monotonic(), None
    proxy.flowing.clear()

    async def watch() -> None:
        nonlocal opened_at
        await until(lambda: cache.stats().breaker_state == "open")
        opened_at = time.monotonic()

    watcher = asyncio.create_task(watch())
    # The first seconds: calls wait out their timeout until the breaker opens, then the lost
    # invalidation channel drops L1 and it refills from the database.
    first, first_errors = await clients(reader(cache), seconds=3)
    await asyncio.wait_for(watcher, 5)
    latencies, errors = await clients(reader(cache), seconds=3)
    r["frozen"] = {
        "breaker_open_s": (opened_at or 0) - frozen_at,
        "first_p99_ms": percentile(first, 0.99),
        "first_max_ms": max(first),
        "p99_ms": percentile(latencies, 0.99),
        "errors": errors + first_errors,
    }
    await proxy.refuse()
    proxy.flowing.set()
    latencies, errors = await clients(reader(cache), seconds=3)
    r["refusing"] = {"p99_ms": percentile(latencies, 0.99), "errors": errors}
    await cache.close()
    await baseline.close()
    await redis.aclose()


@dataclass(frozen=True, slots=True)
class Patient:
    id: int
    name: str
    born: str


async def database_load() -> None:
    import asyncpg

    schema, patients, n_off, warm, n_on = (
        f"bench_cache_{uuid.uuid4().hex[:8]}",
        100_000,
        20_000,
        150_000,
        100_000,
    )
    admin = await asyncpg.connect(DATABASE)
    try:
        await _database_load(admin, schema, patients, n_off, warm, n_on)
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


async def _database_load(admin: Any, schema: str, patients: int, n_off: int, warm: int, n_on: int) -> None:
    import asyncpg

    await admin.execute(
        f'CREATE SCHEMA "{schema}"; '
        f'CREATE TABLE "{schema}".patients (id int PRIMARY KEY, name text, born date)'
    )
    rows = [
        (i, f"Patient {i}", datetime(1950 + i % 60, 1 + i % 12, 1 + i % 28).date())
        for i in range(1, patients + 1)
    ]
    await admin.copy_records_to_table("patients", records=rows, schema_name=schema)
    await admin.execute(f'ANALYZE "{schema}".patients')
    draw, loads = zipf(patients), 0

    async def scans() -> int:
        """Index scans of the table as PostgreSQL counts them, once every backend flushed."""
        last = -1
        while True:
            await admin.execute("SELECT pg_stat_clear_snapshot()")
            now = await admin.fetchval(
                "SELECT idx_scan FROM pg_stat_user_tables WHERE schemaname = $1", schema
            )
            if now == last:
                return int(now or 0)
            last = now
            await asyncio.sleep(0.3)

    async def phase(reads: int, read: Callable[[Any, int], Awaitable[Any]], seed: int) -> int:
        before = await scans()
        pool = await asyncpg.create_pool(
            DATABASE, min_size=10, max_size=10, server_settings={"search_path": schema}
        )
        rng, queue = random.Random(seed), iter(range(reads))

        async def worker() -> None:
            for _ in queue:
                await read(pool, draw(rng))

        await asyncio.gather(*(worker() for _ in range(50)))
        await pool.close()  # backends exit and flush their counts
        return await scans() - before

    async def select(pool: Any, pid: int) -> Patient:
        nonlocal loads
        loads += 1
        row = await pool.fetchrow("SELECT id, name, born::text FROM patients WHERE id = $1", pid)
        return Patient(row[0], row[1], row[2])

    off = await phase(n_off, select, 1)
    redis = cache_client(host=HOST, port=PORT, db=DB, password="", timeout=1.0, max_connections=32)
    cache = LayeredCache(redis, prefix=PREFIX, clock=CLOCK, monotonic=MONO)
    cache.start()

    async def cached_select(pool: Any, pid: int) -> Any:
        return await cache.get_or_load(
            f"db:patient:{pid}", lambda: select(pool, pid), POLICY, returns=Patient
        )

    await phase(warm, cached_select, 2)
    loads = 0
    on = await phase(n_on, cached_select, 3)
    RESULTS["database"] = {
        "reads_off": n_off,
        "queries_off": off,
        "reads_on": n_on,
        "queries_on": on,
        "loader_calls_on": loads,
        "warm_up_reads": warm,
        "l1_entries": cache.stats().l1_entries,
        "fewer": 1 - (on / n_on) / (off / n_off),
    }
    await cache.close()
    await redis.aclose()


async def cleanup() -> None:
    redis = cache_client(host=HOST, port=PORT, db=DB, password="", timeout=2.0, max_connections=2)
    keys = [key async for key in redis.scan_iter(f"{PREFIX}*", count=1000)]
    for start in range(0, len(keys), 500):
        await redis.delete(*keys[start : start + 500])
    await redis.aclose()


def machine() -> dict[str, Any]:
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    cpu = next(
        (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
        platform.processor(),
    )
    libraries = ("redis", "hiredis", "msgspec", "cashews", "aiocache", "cryptography", "asyncpg")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(),
        **{name: version(name) for name in libraries},
    }


def report() -> list[tuple[str, str, str, str, str]]:
    """One row per scenario: ours, cashews, aiocache, then the goal with the measured ratio."""
    l1, l2, st, sp = RESULTS["l1"], RESULTS["l2"], RESULTS["stale"], RESULTS["stampede"]
    inv, ft, db = RESULTS["invalidation"], RESULTS["faults"], RESULTS["database"]
    base, frozen, refusing = ft["no_redis"]["p99_ms"], ft["frozen"], ft["refusing"]
    first = frozen["first_p99_ms"]
    hit, deco, cd, bare = (
        l1["ours_get_or_load"],
        l1["ours_decorator"],
        l1["cashews_decorator"],
        l2["bare_get"],
    )
    swr, blocking = st["ours_swr"]["p999_ms"], st["ours_blocking"]["p999_ms"]
    on, off = db["queries_on"], db["queries_off"]
    return [
        (
            "L1 hit, median",
            f"{hit:.2f} us; decorator {deco:.2f} us; decoding, not copying: +{l1['decode_per_hit']:.2f} us",
            f"get {l1['cashews_get']:.2f} us, decorator {l1['cashews_decorator']:.2f} us",
            f"get {l1['aiocache_get']:.2f} us, decorator {l1['aiocache_decorator']:.2f} us",
            f"<= 2 us; cashews get / ours {l1['cashews_get'] / hit:.1f}x (>= 3x); cashews decorator / ours"
            f" {cd / hit:.1f}x (>= 15x; / our decorator {cd / deco:.1f}x)",
        ),
        (
            "L2 hit, median",
            f"{l2['ours']:.0f} us; sensitive {l2['ours_sensitive']:.0f} us",
            f"{l2['cashews_get']:.0f} us",
            f"{l2['aiocache_get']:.0f} us",
            f"ours / bare redis-py GET ({bare:.0f} us) {l2['ours'] / bare:.2f}x (<= 1.2x);"
            f" sensitive / plain {l2['ours_sensitive'] / l2['ours']:.2f}x (<= 1.1x)",
        ),
        (
            "p99.9 while stale, loader 50 ms, 50 clients",
            f"SWR {swr:.2f} ms; blocking refresh {blocking:.1f} ms",
            f"early {st['cashews_early']['p999_ms']:.2f} ms",
            f"{st['aiocache_blocking']['p999_ms']:.1f} ms (no SWR)",
            f"SWR / blocking {swr / blocking:.4f}x (<= 0.1x)",
        ),
        (
            "1,000 concurrent misses of one key: loader calls",
            f"{sp['ours_one_process']}; two caches sharing Redis: {sp['ours_two_caches_sharing_redis']}",
            f"{sp['cashews']}; lock=True {sp['cashews_lock']}",
            f"{sp['aiocache']}; cached_stampede {sp['aiocache_stampede']}",
            "exactly 1 per process",
        ),
        (
            "invalidation seen by a second process",
            f"p50 {inv['p50_ms']:.2f} ms, p99 {inv['p99_ms']:.2f} ms",
            "-",
            "-",
            "p99 <= 5 ms",
        ),
        (
            "Redis frozen, then refusing (50 clients, Zipf over 100,000 keys, loader 1 ms)",
            f"breaker open {frozen['breaker_open_s']:.2f} s after the freeze; first 3 s: p99 {first:.1f} ms,"
            f" max {frozen['first_max_ms']:.0f} ms; then p99 {frozen['p99_ms']:.2f} ms frozen,"
            f" {refusing['p99_ms']:.2f} ms refusing;"
            f" {frozen['errors'] + refusing['errors']} errors",
            "-",
            "-",
            f"open <= 1 s; p99 / no-Redis p99 ({base:.2f} ms): {frozen['p99_ms'] / base:.2f}x frozen,"
            f" {refusing['p99_ms'] / base:.2f}x refusing (<= 1.2x); no errors",
        ),
        (
            "database load, Zipf(1.0) reads over 100,000 patients",
            f"{on} queries / {db['reads_on']} reads (off: {off} / {db['reads_off']})",
            "-",
            "-",
            f"{db['fewer']:.1%} fewer queries (>= 80%)",
        ),
    ]


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll ``condition`` until it holds; give up (RuntimeError) after ``seconds``."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + seconds
    while not condition():
        if loop.time() > give_up:
            raise RuntimeError("condition not met in time")
        await asyncio.sleep(0.002)


async def main() -> None:
    steps = (l1_hits, l2_hits, stale_reads, stampede, invalidation_latency, redis_faults, database_load)
    # SIGTERM (a CI timeout, `kill`) cancels the run like Ctrl-C does, so the finally cleans up.
    current = asyncio.current_task()
    assert current is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, current.cancel)
    try:
        for step in steps:
            started = time.perf_counter()
            await step()
            print(f"  {step.__name__}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        await asyncio.shield(cleanup())
    RESULTS["machine"] = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in RESULTS["machine"].items()))
    print("\n| scenario | ours | cashews | aiocache | goal and ratio |\n|---|---|---|---|---|")
    for row in report():
        print("| " + " | ".join(row) + " |")
    out = ROOT / "bench" / "results" / "cache.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(RESULTS, indent=2, default=str))
    print(f"\nwrote {out.relative_to(ROOT)}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peer", metavar="PREFIX", help=argparse.SUPPRESS)  # the second process
    return parser.parse_args()


if __name__ == "__main__":
    args = arguments()
    try:
        asyncio.run(peer(args.peer) if args.peer else main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit("interrupted: the run's keys and schema were removed")
