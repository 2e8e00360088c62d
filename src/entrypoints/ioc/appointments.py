"""Wiring of the appointments capability: booking use cases, and the repositories per persistence kind.

The lifecycle use cases (cancel, reschedule, check-in, ...) are wired in appointment_lifecycle.py.
"""

from __future__ import annotations

from dishka import Provider, Scope, provide

from adapters.memory.appointments import InMemoryAppointmentRepository
from application.ports.appointments import AppointmentRepository


class AppointmentsUseCases(Provider):
    scope = Scope.REQUEST


class MemoryAppointmentsProvider(Provider):
    scope = Scope.REQUEST

    appointments = provide(InMemoryAppointmentRepository, provides=AppointmentRepository)


class SqlAppointmentsProvider(Provider):
    scope = Scope.REQUEST
