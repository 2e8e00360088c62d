"""Readiness probes: one per dependency of the active profile."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol


class HealthProbe(Protocol):
    name: str

    @abstractmethod
    async def check(self) -> None:
        """Return when the dependency answers; raise anything when it does not. The caller
        applies the timeout."""
        ...
