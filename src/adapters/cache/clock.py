"""MonotonicClock over the operating system's monotonic clock."""

from __future__ import annotations

import time

from application.ports.clock import MonotonicClock


class SystemMonotonicClock(MonotonicClock):
    def monotonic(self) -> float:
        return time.monotonic()
