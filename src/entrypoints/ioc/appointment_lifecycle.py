"""Wiring of the appointment lifecycle use cases: reads, lists and the state transitions."""

from __future__ import annotations

from dishka import Provider, Scope


class AppointmentLifecycleUseCases(Provider):
    scope = Scope.REQUEST
