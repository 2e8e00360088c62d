"""Wiring of the prescriptions capability: its use cases, and its repositories per persistence kind."""

from __future__ import annotations

from dishka import Provider, Scope


class PrescriptionsUseCases(Provider):
    scope = Scope.REQUEST


class MemoryPrescriptionsProvider(Provider):
    scope = Scope.REQUEST


class SqlPrescriptionsProvider(Provider):
    scope = Scope.REQUEST
