"""Mark that a patient did not come."""

from __future__ import annotations

from datetime import datetime

from application.appointments.lifecycle import AppointmentWrites, Change, TransitionCommand
from application.appointments.views import AppointmentView
from domain.access import Action, Actor
from domain.appointments import Appointment
from domain.events import EventKind


class MarkNoShow:
    """The patient did not come: BOOKED or CHECKED_IN -> NO_SHOW (the slot is free again).

    - Doctors and receptionists of the clinic (within their locations); the patient gets
      INSUFFICIENT_PERMISSIONS; whoever may not see the appointment gets APPOINTMENT_NOT_FOUND.
    - From any other status: APPOINTMENT_TRANSITION_NOT_ALLOWED.
    - Audited (MARK_NO_SHOW), emits appointment.no_show, in one unit of work; the doctor's
      availability is invalidated.
    """

    def __init__(self, writes: AppointmentWrites) -> None:
        self._writes = writes

    async def __call__(self, cmd: TransitionCommand, actor: Actor) -> AppointmentView:
        async def apply(appointment: Appointment, now: datetime) -> Change:
            appointment.mark_no_show(by=actor.user_id, at=now)
            return Change(EventKind.APPOINTMENT_NO_SHOW, ("status",))

        return await self._writes(cmd, actor, Action.MARK_NO_SHOW, apply)
