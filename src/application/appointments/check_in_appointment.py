"""Check a patient in for their appointment."""

from __future__ import annotations

from datetime import datetime

from application.appointments.lifecycle import AppointmentWrites, Change, TransitionCommand
from application.appointments.views import AppointmentView
from domain.access import Action, Actor
from domain.appointments import Appointment
from domain.events import EventKind


class CheckInAppointment:
    """The patient has arrived: BOOKED -> CHECKED_IN.

    - Doctors and receptionists of the clinic (within their locations); the patient may not
      check themselves in (INSUFFICIENT_PERMISSIONS); whoever may not see the appointment gets
      APPOINTMENT_NOT_FOUND.
    - From any other status: APPOINTMENT_TRANSITION_NOT_ALLOWED (a HELD slot is confirmed first).
    - Audited (CHECK_IN_APPOINTMENT), emits appointment.checked_in, in one unit of work.
    """

    def __init__(self, writes: AppointmentWrites) -> None:
        self._writes = writes

    async def __call__(self, cmd: TransitionCommand, actor: Actor) -> AppointmentView:
        async def apply(appointment: Appointment, now: datetime) -> Change:
            appointment.check_in(by=actor.user_id, at=now)
            return Change(EventKind.APPOINTMENT_CHECKED_IN, ("status",))

        return await self._writes(cmd, actor, Action.CHECK_IN_APPOINTMENT, apply)
