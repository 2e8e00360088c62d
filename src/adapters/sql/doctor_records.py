"""The doctors tables (migration 0009)."""

from __future__ import annotations
