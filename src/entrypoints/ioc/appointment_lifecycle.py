"""Wiring of the appointment lifecycle use cases: reads, lists and the state transitions."""

from __future__ import annotations

from dishka import Provider, Scope, provide_all

from application.appointments.cancel_appointment import CancelAppointment
from application.appointments.check_in_appointment import CheckInAppointment
from application.appointments.complete_appointment import CompleteAppointment
from application.appointments.disclosure import AppointmentDisclosure
from application.appointments.get_appointment import GetAppointment
from application.appointments.lifecycle import AppointmentWrites
from application.appointments.list_appointments import ListAppointments
from application.appointments.mark_no_show import MarkNoShow
from application.appointments.reschedule_appointment import RescheduleAppointment


class AppointmentLifecycleUseCases(Provider):
    scope = Scope.REQUEST

    parts = provide_all(AppointmentDisclosure, AppointmentWrites)
    use_cases = provide_all(
        GetAppointment,
        ListAppointments,
        CancelAppointment,
        RescheduleAppointment,
        CheckInAppointment,
        CompleteAppointment,
        MarkNoShow,
    )
