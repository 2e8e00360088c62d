"""HTTP routes of the appointments capability."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
