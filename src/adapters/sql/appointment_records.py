"""The appointments tables (migration 0011)."""

from __future__ import annotations
