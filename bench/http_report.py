"""The one table of bench/http_bench.py: scenario, result, goal, ratio, met."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str, str]


def _cell(r: dict[str, Any]) -> str:
    errors = f", {r['errors']} errors" if r.get("errors") else ""
    return f"{r['rps']:,.0f} req/s (p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms{errors})"


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def _client(client: str) -> str:
    if client == "python":
        return (
            "python asyncio client in a second process (wrk not used; it costs more CPU per request, "
            "so the throughput rows, the ceiling first, may be lower than wrk would measure), 1 thread"
        )
    return "wrk, 1 thread"


def rows_of(result: dict[str, Any]) -> list[Row]:
    ceiling, warm, cold = result["ceiling"], result["get_warm"], result["get_cold"]
    plain, raw, post = result["get_warm_no_claims_cache"], result["hand_written"], result["post"]
    jwt, peak, mix = result["jwt"], result["mix_peak"], result["mix"]
    warm_ratio = warm["ok_rps"] / ceiling["rps"]
    cold_ratio = cold["ok_rps"] / raw["ok_rps"]
    cache_ratio = warm["ok_rps"] / cold["ok_rps"]
    claims_ratio = warm["ok_rps"] / plain["ok_rps"]
    post_ok = post["errors"] == 0
    mix_p99 = mix["p99_ms"] or float("inf")
    return [
        ("bare Litestar, constant Struct (the ceiling)", _cell(ceiling), "baseline", "1.00x", "-"),
        (
            "GET /appointments/{id}, cache warm",
            _cell(warm),
            ">= 0.5x the ceiling",
            f"{warm_ratio:.2f}x ceiling",
            _met(warm_ratio >= 0.5 and not warm["errors"]),
        ),
        (
            "  the same, verified-claims cache off",
            _cell(plain),
            "(the cache's effect)",
            f"cache on = {claims_ratio:.2f}x off",
            "-",
        ),
        ("hand-written Litestar + asyncpg, same query", _cell(raw), "baseline for cold", "1.00x", "-"),
        (
            "GET /appointments/{id}, cache cold (CACHE_ENABLED=false)",
            _cell(cold),
            ">= 0.5x hand-written",
            f"{cold_ratio:.2f}x hand-written",
            _met(cold_ratio >= 0.5 and not cold["errors"]),
        ),
        ("cached vs cold GET", "", "cached >= 3x cold", f"{cache_ratio:.2f}x", _met(cache_ratio >= 3)),
        (
            "POST /appointments, free slots",
            f"{post['ok_rps']:,.0f} bookings/s (p50 {post['p50_ms']:.1f} ms, p99 {post['p99_ms']:.1f} ms, "
            f"{post['requests']} sent, {post['errors']} refused)",
            "recorded, p50 and p99",
            "-",
            "recorded" if post_ok else "recorded (with refusals)",
        ),
        (
            "mixed day, peak (closed loop, Python client)",
            f"{peak['operations_per_second']:,.0f} operations/s (p50 {peak['p50_ms']:.1f} ms, "
            f"p99 {peak['p99_ms']:.1f} ms)",
            "measured",
            "-",
            "-",
        ),
        (
            "mixed day at half the peak (fixed arrival rate)",
            f"{mix['rate']:,.0f} operations/s: p50 {mix['p50_ms']:.1f} ms, p99 {mix_p99:.1f} ms",
            "p99 < 50 ms",
            "-",
            _met(mix_p99 < 50 and _clean(mix["statuses"])),
        ),
        (
            "PyJWT 2 HS256 decode / our verify / claims-cache hit",
            f"{jwt['pyjwt_decode_hs256_us']:.1f} / {jwt['verify_us']:.1f} / {jwt['verify_cached_us']:.1f} us",
            "measured (issue: 60-120 us)",
            f"hit = {jwt['verify_us'] / jwt['verify_cached_us']:.0f}x cheaper",
            "-",
        ),
    ]


def _clean(statuses: dict[str, int]) -> bool:
    """Every answer of the mix a success (2xx) and every sign-in through."""
    bad = [k for k in statuses if k == "sign_in_failed" or (":" in k and not k.split(":")[1].startswith("2"))]
    return not bad


def print_report(result: dict[str, Any]) -> list[Row]:
    m = result["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['system']}")
    print(
        f"versions: Python {m['python']}, Litestar {m['litestar']}, granian {m['granian']}, "
        f"msgspec {m['msgspec']}, SQLAlchemy {m['sqlalchemy']}, asyncpg {m['asyncpg']}, PyJWT {m['pyjwt']}, "
        f"redis-py {m['redis']}, PostgreSQL {m['postgresql']}, Redis {m['redis-server']}, {m['load_client']}"
    )
    print(
        f"load: {_client(result['client'])}, {result['connections']} keep-alive connections, "
        f"{result['seconds_per_cell']:.0f} s per cell after a warm-up; mixed day: Python asyncio client "
        f"(httpx, HTTP/1.1 keep-alive). "
        f"Server: granian, {result['workers']} worker(s), production profile, rate limits on (raised). "
        f"Data: {result['seed']} Run {result['total_seconds']:.0f} s."
    )
    rows = rows_of(result)
    print("\n| scenario | result | goal | ratio | met |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    mix = result["mix"]
    kinds = ", ".join(
        f"{k} n={v['n']} p50 {v['p50_ms']:.1f} p99 {v['p99_ms']:.1f}" for k, v in mix["by_kind"].items()
    )
    print(f"\nmixed day at half peak, by kind (ms): {kinds}")
    print(f"mixed day statuses: {mix['statuses']}; at peak: {result['mix_peak']['statuses']}")
    return rows
