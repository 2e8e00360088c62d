"""Run the chaos scenarios and print one table: scenario, figures, criterion, pass/fail.

    .venv/bin/python -m bench.chaos.run                 # the full set (`make chaos`)
    .venv/bin/python -m bench.chaos.run --quick         # the CI sizes
    .venv/bin/python -m bench.chaos.run redis_frozen    # one or more by name

Each scenario runs against the real ``healthcare serve`` / ``healthcare worker`` processes on the
production profile, with a database of its own on the PostgreSQL at CHAOS_DATABASE_URL (else
TEST_DATABASE_URL, else postgresql+asyncpg://postgres@127.0.0.1:5432/test) and a private
redis-server. Exits 1 when any criterion fails, 2 when the infrastructure is missing. Writes
bench/results/chaos.json (chaos-quick.json with --quick; ...-partial.json for a subset).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.chaos.harness import Result, Unavailable, tidy

# Each is a module of bench/chaos with NAME, FULL, QUICK and ``async def run(sizes) -> Result``.
SCENARIOS = (
    "redis_killed",
    "redis_frozen",
    "postgres_restart",
    "relay_killed",
    "whatsapp_down",
    "slow_database",
)
RESULTS = Path(__file__).resolve().parents[1] / "results"


def figures_text(figures: dict[str, Any]) -> list[str]:
    return [f"{key}={json.dumps(value, default=str)}" for key, value in figures.items()]


def table(results: list[Result]) -> str:
    rows = [("scenario", "figures", "criterion", "result")]
    for result in results:
        figures = figures_text(result.figures)
        checks = [
            (c.criterion + (f" ({c.detail})" if c.detail else ""), "pass" if c.passed else "FAIL")
            for c in result.checks
        ] or [("ran to the end", "FAIL")]
        for i in range(max(len(figures), len(checks))):
            criterion, verdict = checks[i] if i < len(checks) else ("", "")
            rows.append(
                (
                    result.scenario if i == 0 else "",
                    figures[i] if i < len(figures) else "",
                    criterion,
                    verdict,
                )
            )
        rows.append(("", "", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |" for row in rows[:-1]
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


async def run_one(module: ModuleType, quick: bool) -> Result:
    started = time.monotonic()
    try:
        result: Result = await module.run(module.QUICK if quick else module.FULL)
    except Unavailable:
        raise
    except Exception as error:
        result = Result(module.NAME)
        result.check("ran to the end", False, f"{type(error).__name__}: {error}")
        traceback.print_exc()
    result.figures["seconds"] = round(time.monotonic() - started, 1)
    tidy(result, keep=not result.passed)
    if not result.passed and result.workdir:
        print(f"{module.NAME}: logs kept in {result.workdir}", file=sys.stderr)
    return result


async def main_async(names: list[str], quick: bool) -> int:
    results = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.append(await run_one(importlib.import_module(f"bench.chaos.{name}"), quick))
    print(f"machine: {platform.node()} {platform.machine()}, Python {platform.python_version()}")
    print(table(results))
    RESULTS.mkdir(exist_ok=True)
    partial = "" if len(results) == len(SCENARIOS) else "-partial"
    out = RESULTS / f"chaos{'-quick' if quick else ''}{partial}.json"
    out.write_text(
        json.dumps(
            [
                {
                    "scenario": r.scenario,
                    "passed": r.passed,
                    "figures": r.figures,
                    "checks": [c.__dict__ for c in r.checks],
                }
                for r in results
            ],
            indent=2,
            default=str,
        )
    )
    return 0 if all(r.passed for r in results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", help=f"some of {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="the short CI sizes")
    args = parser.parse_args()
    unknown = sorted(set(args.scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    try:
        return asyncio.run(main_async(args.scenarios or list(SCENARIOS), args.quick))
    except Unavailable as missing:
        print(f"chaos: cannot run here: {missing}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
