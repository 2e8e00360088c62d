"""The in-memory database behind the memory profile: committed rows, shared by every unit of work."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from domain.audit import AuditEntry


@dataclass(slots=True)
class InMemoryStore:
    """Committed state. Values are private copies; readers get copies too, so no caller ever
    holds an object another caller can change."""

    tables: dict[str, dict[Hashable, Any]] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)

    def table(self, name: str) -> dict[Hashable, Any]:
        return self.tables.setdefault(name, {})
