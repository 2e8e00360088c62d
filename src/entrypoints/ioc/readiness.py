"""The readiness probes of the active profile."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from application.ports.health import HealthProbe


@dataclass(frozen=True, slots=True)
class ReadinessProbes:
    """Every dependency the active profile needs, each checked with ``timeout_seconds``."""

    probes: tuple[HealthProbe, ...]
    timeout_seconds: float = 2.0

    async def failing(self) -> list[str]:
        """Names of the dependencies that did not answer in time, checked concurrently."""

        async def ok(probe: HealthProbe) -> bool:
            try:
                await asyncio.wait_for(probe.check(), self.timeout_seconds)
            except Exception:  # any failure means "not ready"; the probe's error is not the point
                return False
            return True

        results = await asyncio.gather(*(ok(p) for p in self.probes))
        return [p.name for p, good in zip(self.probes, results, strict=True) if not good]
