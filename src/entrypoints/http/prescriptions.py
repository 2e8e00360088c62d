"""HTTP routes of the prescriptions capability."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
