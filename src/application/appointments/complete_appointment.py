"""Complete an appointment."""

from __future__ import annotations

from datetime import datetime

from application.appointments.lifecycle import AppointmentWrites, Change, TransitionCommand
from application.appointments.views import AppointmentView
from domain.access import Action, Actor
from domain.appointments import Appointment
from domain.events import EventKind


class CompleteAppointment:
    """The visit took place: CHECKED_IN -> COMPLETED.

    - Doctors of the clinic (within their locations); receptionists and the patient get
      INSUFFICIENT_PERMISSIONS; whoever may not see the appointment gets APPOINTMENT_NOT_FOUND.
    - From any other status: APPOINTMENT_TRANSITION_NOT_ALLOWED (check the patient in first).
    - Audited (COMPLETE_APPOINTMENT), emits appointment.completed, in one unit of work.
    """

    def __init__(self, writes: AppointmentWrites) -> None:
        self._writes = writes

    async def __call__(self, cmd: TransitionCommand, actor: Actor) -> AppointmentView:
        async def apply(appointment: Appointment, now: datetime) -> Change:
            appointment.complete(by=actor.user_id, at=now)
            return Change(EventKind.APPOINTMENT_COMPLETED, ("status",))

        return await self._writes(cmd, actor, Action.COMPLETE_APPOINTMENT, apply)
