"""HTTP routes of the patients capability."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
