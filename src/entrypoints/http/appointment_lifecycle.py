"""HTTP routes of the appointment lifecycle: reads, lists and the state transitions."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
