"""Wiring of the appointments capability: booking use cases, and the repositories per persistence kind.

The lifecycle use cases (cancel, reschedule, check-in, ...) are wired in appointment_lifecycle.py.
"""

from __future__ import annotations

from datetime import timedelta

from dishka import Provider, Scope, provide, provide_all

from adapters.memory.appointments import InMemoryAppointmentRepository
from adapters.sql.appointments import SqlAppointmentRepository
from application.appointments.book_appointment import BookAppointment, BookingPolicy
from application.appointments.confirm_hold import ConfirmAppointment
from application.appointments.get_availability import GetAvailability
from application.ports.appointments import AppointmentRepository
from entrypoints.config import Settings


class AppointmentsUseCases(Provider):
    scope = Scope.REQUEST

    use_cases = provide_all(BookAppointment, ConfirmAppointment, GetAvailability)

    @provide(scope=Scope.APP)
    def booking_policy(self, settings: Settings) -> BookingPolicy:
        return BookingPolicy(hold=timedelta(minutes=settings.app.appointment_hold_minutes))


class MemoryAppointmentsProvider(Provider):
    scope = Scope.REQUEST

    appointments = provide(InMemoryAppointmentRepository, provides=AppointmentRepository)


class SqlAppointmentsProvider(Provider):
    scope = Scope.REQUEST

    appointments = provide(SqlAppointmentRepository, provides=AppointmentRepository)
