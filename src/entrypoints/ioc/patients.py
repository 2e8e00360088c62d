"""Wiring of the patients capability: its use cases, and its repositories per persistence kind."""

from __future__ import annotations

from dishka import Provider, Scope


class PatientsUseCases(Provider):
    scope = Scope.REQUEST


class MemoryPatientsProvider(Provider):
    scope = Scope.REQUEST


class SqlPatientsProvider(Provider):
    scope = Scope.REQUEST
