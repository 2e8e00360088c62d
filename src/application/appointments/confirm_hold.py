"""Confirm a held appointment."""

from __future__ import annotations

from datetime import datetime

from application.appointments.lifecycle import AppointmentWrites, Change, TransitionCommand
from application.appointments.views import AppointmentView
from domain.access import Action, Actor
from domain.appointments import Appointment
from domain.events import EventKind


class ConfirmAppointment:
    """Confirm a hold: HELD -> BOOKED, keeping its slot.

    - The patient (their own), the clinic's doctors and receptionists (within their locations);
      whoever may not see the appointment gets APPOINTMENT_NOT_FOUND.
    - A hold past its expiry: APPOINTMENT_HOLD_EXPIRED (409), whether or not another booking has
      taken the slot since; book it again. Anything but a hold:
      APPOINTMENT_TRANSITION_NOT_ALLOWED.
    - Audited (CONFIRM_APPOINTMENT), emits appointment.confirmed, the doctor's availability made
      stale, one unit of work.
    """

    def __init__(self, writes: AppointmentWrites) -> None:
        self._writes = writes

    async def __call__(self, cmd: TransitionCommand, actor: Actor) -> AppointmentView:
        async def apply(appointment: Appointment, now: datetime) -> Change:
            appointment.confirm(by=actor.user_id, at=now)
            return Change(EventKind.APPOINTMENT_CONFIRMED, ("status", "holdExpiresAt"))

        return await self._writes(cmd, actor, Action.CONFIRM_APPOINTMENT, apply)
