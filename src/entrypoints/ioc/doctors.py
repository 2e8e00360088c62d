"""Wiring of the doctors capability: its use cases, and its repositories per persistence kind."""

from __future__ import annotations

from dishka import Provider, Scope


class DoctorsUseCases(Provider):
    scope = Scope.REQUEST


class MemoryDoctorsProvider(Provider):
    scope = Scope.REQUEST


class SqlDoctorsProvider(Provider):
    scope = Scope.REQUEST
