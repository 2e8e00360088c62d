"""Chaos scenarios (``make chaos``): the fault rows of RELIABILITY.md, scripted on loopback against
the real ``healthcare serve`` / ``healthcare worker`` processes. See bench/chaos/run.py."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The scenarios run the application's code in-process too (seeding, the outbox adapter) and reuse
# the test fakes (tests/fakes, tests/smtp_sink.py, tests/cache_support.py, tests/e2e/processes.py).
for _path in (ROOT / "tests" / "e2e", ROOT / "tests", ROOT / "src"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
