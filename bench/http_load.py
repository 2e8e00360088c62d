"""The load generators of bench/http_bench.py: wrk (or, without it, bench/http_loadgen.py) for
throughput, an asyncio client for the mixed day, and the in-process cost of verifying one access
token."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import httpx

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
    .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""
_GET = """
local lines = {}
for line in io.lines("%(lines)s") do lines[#lines + 1] = line end
local i = 0
%(auth)s
request = function()
  i = i %% #lines + 1
  return wrk.format("GET", "%(prefix)s" .. lines[i])
end
"""
_POST = """
local lines = {}
for line in io.lines("%(lines)s") do lines[#lines + 1] = line end
local i = 0
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  if i > #lines then i = 1 end  -- out of free slots: the repeats answer 409 and are counted
  return wrk.format("POST", "%(path)s", nil, lines[i])
end
"""


def version(client: str) -> str:
    """The load client's name and version, as the table's versions line shows it."""
    if client == "python":
        return f"load client: Python {sys.version.split()[0]} asyncio (bench/http_loadgen.py)"
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).split("\n")[0].strip()


@dataclass
class Load:
    """Closed-loop load from a second process, one thread, ``connections`` keep-alive connections,
    a warm-up run before each measured one: wrk (``client="wrk"``) or bench/http_loadgen.py
    (``client="python"``, an asyncio client with the same requests and the same summary)."""

    workdir: Path
    seconds: float
    warmup: float
    connections: int
    client: str = "wrk"

    async def get(self, base: str, token: str | None, prefix: str, suffixes: list[str]) -> dict[str, Any]:
        if self.client == "python":
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return await self._python(base, "GET", [prefix + s for s in suffixes], [], headers, self.warmup)
        lines = self._file(suffixes)
        auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
        script = self._script(_GET % {"lines": lines, "auth": auth, "prefix": prefix})
        await self._wrk(base, script, self.warmup)
        return await self._wrk(base, script, self.seconds)

    async def post(self, base: str, token: str, path: str, bodies: list[str]) -> dict[str, Any]:
        """No warm-up: each body books a slot once."""
        if self.client == "python":
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            return await self._python(base, "POST", [path], bodies, headers, 0)
        script = self._script(_POST % {"lines": self._file(bodies), "token": token, "path": path})
        return await self._wrk(base, script, self.seconds)

    def _file(self, lines: list[str]) -> Path:
        path = self.workdir / f"lines-{uuid4().hex}.txt"
        path.write_text("\n".join(lines) + "\n")
        return path

    def _script(self, body: str) -> Path:
        path = self.workdir / f"script-{uuid4().hex}.lua"
        path.write_text(body + _DONE)
        return path

    async def _wrk(self, base: str, script: Path, seconds: float) -> dict[str, Any]:
        return await _summary_of(
            "wrk", "-t1", f"-c{self.connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", str(script), base,
        )  # fmt: skip

    async def _python(
        self,
        base: str,
        method: str,
        targets: list[str],
        bodies: list[str],
        headers: dict[str, str],
        warmup: float,
    ) -> dict[str, Any]:
        """The same run as wrk's: whole seconds (wrk's ``-d``), a 10 s timeout per request."""
        url = urlsplit(base)
        spec = {
            "host": url.hostname, "port": url.port, "connections": self.connections,
            "seconds": max(1, round(self.seconds)), "warmup": max(1, round(warmup)) if warmup else 0,
            "timeout": 10.0, "method": method, "targets": targets, "bodies": bodies, "headers": headers,
        }  # fmt: skip
        path = self.workdir / f"load-{uuid4().hex}.json"
        path.write_text(json.dumps(spec))
        return await _summary_of(sys.executable, str(Path(__file__).with_name("http_loadgen.py")), str(path))


async def _summary_of(*command: str) -> dict[str, Any]:
    """Run a load client; its summary line (``WRKJSON``/``LOADJSON`` + the same fields) as rates
    and milliseconds."""
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    prefixes = ("WRKJSON ", "LOADJSON ")
    line = next((ln for ln in out.decode().splitlines() if ln.startswith(prefixes)), None)
    if line is None:
        raise RuntimeError(f"{command[0]} gave no summary: {out.decode()[-500:]} {err.decode()[-500:]}")
    raw = json.loads(line.split(" ", 1)[1])
    elapsed = raw["duration_us"] / 1e6
    return {
        "rps": raw["requests"] / elapsed,
        "ok_rps": (raw["requests"] - raw["status_errors"]) / elapsed,
        "requests": raw["requests"],
        "errors": raw["status_errors"] + raw["socket_errors"],
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
    }


# -- the mixed day -------------------------------------------------------------------------------
WEIGHTS = {"read_one": 65, "read_list": 15, "book": 10, "cancel": 5, "sign_in": 5}


@dataclass
class Day:
    """80% reads (65 one appointment, 15 a page of a doctor's appointments), 15% bookings and
    changes (10 bookings of free slots, 5 cancellations of booked appointments), 5% sign-ins
    (request-otp, then verify-otp with the code from the outbox; the look-up between the two is
    not timed, both requests are)."""

    client: httpx.AsyncClient
    sign_in: Callable[[str], Awaitable[tuple[str, float, float]]]
    clinic: str
    doctors: list[str]
    ids: list[str]
    changeable: list[str]
    bookings: Iterator[str]
    emails: list[str]
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    _next_email: int = 0

    def _kind(self) -> str:
        kinds = list(WEIGHTS)
        kind = self.rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
        if kind == "cancel" and not self.changeable:
            return "book"
        return kind

    async def _one(
        self, kind: str, samples: dict[str, list[float]], statuses: dict[str, int], due: float
    ) -> None:
        """One operation; its latency counts from ``due`` (its planned start), so a late start is
        charged to the server that made it late, not hidden (no coordinated omission)."""
        client = self.client
        if kind == "sign_in":
            email = self.emails[self._next_email % len(self.emails)]
            self._next_email += 1
            try:
                _, first, second = await self.sign_in(email)
                queued = (time.perf_counter() - due) * 1000 - first - second
                samples.setdefault(kind, []).extend([first + max(queued, 0), second])
                statuses["sign_in_ok"] = statuses.get("sign_in_ok", 0) + 1
            except RuntimeError:
                statuses["sign_in_failed"] = statuses.get("sign_in_failed", 0) + 1
            return
        if kind == "read_one":
            call = client.get(f"/api/v1/appointments/{self.rng.choice(self.ids)}")
        elif kind == "read_list":
            params = {"clinicId": self.clinic, "doctorId": self.rng.choice(self.doctors), "limit": "20"}
            call = client.get("/api/v1/appointments", params=params)
        elif kind == "book":
            body = next(self.bookings)
            call = client.post(
                "/api/v1/appointments", content=body, headers={"Content-Type": "application/json"}
            )
        else:
            call = client.post(f"/api/v1/appointments/{self.changeable.pop()}/cancel", json={"reason": "Ill"})
        answer = await call
        samples.setdefault(kind, []).append((time.perf_counter() - due) * 1000)
        key = f"{kind}:{answer.status_code}"
        statuses[key] = statuses.get(key, 0) + 1

    async def closed_loop(self, *, seconds: float, concurrency: int) -> dict[str, Any]:
        """The peak: ``concurrency`` clients, each starting its next operation when one ends."""
        samples: dict[str, list[float]] = {}
        statuses: dict[str, int] = {}
        done = 0
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await self._one(self._kind(), samples, statuses, time.perf_counter())
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        return {
            "operations_per_second": done / elapsed,
            "concurrency": concurrency,
            **_summary(samples, statuses),
        }

    async def fixed_rate(self, *, rate: float, seconds: float) -> dict[str, Any]:
        """Operations started at ``rate`` per second, whatever the answers take (open loop)."""
        samples: dict[str, list[float]] = {}
        statuses: dict[str, int] = {}
        tasks = []
        started = time.perf_counter()
        for n in range(int(rate * seconds)):
            due = started + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._one(self._kind(), samples, statuses, due)))
        await asyncio.gather(*tasks)
        return {"rate": rate, "seconds": seconds, "operations": len(tasks), **_summary(samples, statuses)}


def _summary(samples: dict[str, list[float]], statuses: dict[str, int]) -> dict[str, Any]:
    every = [s for kind in samples.values() for s in kind]
    return {
        "requests": len(every),
        "p50_ms": statistics.median(every) if every else None,
        "p99_ms": _percentile(every, 0.99),
        "by_kind": {
            k: {"n": len(v), "p50_ms": statistics.median(v), "p99_ms": _percentile(v, 0.99)}
            for k, v in sorted(samples.items())
        },
        "statuses": dict(sorted(statuses.items())),
    }


def _percentile(samples: list[float], share: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- the cost of one token check -----------------------------------------------------------------
def jwt_costs(quick: bool) -> dict[str, float]:
    """Microseconds per call, best of five runs: PyJWT's HS256 decode alone, our verifier
    (header, decode, claim checks), and a hit of the verified-claims cache."""
    import jwt

    from adapters.security.jwt_tokens import JwtAccessTokens, JwtOptions
    from adapters.security.token_claims_cache import CachedAccessTokens
    from adapters.system.clock import SystemClock

    secret = "bench-" + "x" * 40
    options = JwtOptions(
        signing_key=secret, algorithm="HS256", issuer="clinic-backend", audience="clinic-backend-api",
        ttl_minutes=240, leeway_seconds=30,
    )  # fmt: skip
    plain = JwtAccessTokens(options, SystemClock())
    cached = CachedAccessTokens(plain, SystemClock())
    token = plain.issue(uuid4(), session_id=uuid4()).token
    cached.verify(token)
    number = 2_000 if quick else 20_000

    def decode() -> object:
        return jwt.decode(
            token, secret, algorithms=["HS256"], audience=options.audience, issuer=options.issuer
        )

    def cost(call: Callable[[], object]) -> float:
        return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6

    return {
        "pyjwt_decode_hs256_us": cost(decode),
        "verify_us": cost(lambda: plain.verify(token)),
        "verify_cached_us": cost(lambda: cached.verify(token)),
        "calls_per_run": number,
    }
