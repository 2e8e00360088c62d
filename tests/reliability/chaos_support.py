"""Running a chaos scenario (bench/chaos) at its CI size as a test.

A scenario that cannot run (no PostgreSQL, no redis-server) skips, except under CI=true. Checks
named in ``known_gaps`` are faults the service does not survive yet: the test is an expected
failure while any of them fails, and fails once they all pass (so the gap gets struck off)."""

from __future__ import annotations

import os
from types import ModuleType

import pytest
from bench.chaos.harness import Result, Unavailable, tidy


async def run_quick(scenario: ModuleType, *, known_gaps: frozenset[str] = frozenset()) -> Result:
    try:
        result: Result = await scenario.run(scenario.QUICK)
    except Unavailable as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"chaos scenarios need PostgreSQL and redis-server under CI: {missing}")
        pytest.skip(str(missing))
    unexpected = [c for c in result.checks if not c.passed and c.criterion not in known_gaps]
    tidy(result, keep=bool(unexpected) or not result.checks)
    assert result.checks and not unexpected, result.explain()
    gaps = [f"{c.criterion}: {c.detail}" for c in result.checks if not c.passed]
    if gaps:
        pytest.xfail(f"known gaps: {gaps}")
    assert not known_gaps, f"known gaps now pass, strike them off: {sorted(known_gaps)}"
    return result
