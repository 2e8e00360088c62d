"""Cancel an appointment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.appointments.lifecycle import AppointmentWrites, Change, TransitionCommand
from application.appointments.views import AppointmentView
from application.auditing import actor_role
from domain.access import Action, Actor
from domain.appointments import Appointment
from domain.events import EventKind


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelAppointmentCommand(TransitionCommand):
    reason: str | None = None  # free text, at most 500 characters: PHI, never in events or logs


class CancelAppointment:
    """Cancel an appointment: BOOKED, CHECKED_IN or HELD -> CANCELLED, with a reason and by whom.

    - The patient (their own), doctors and receptionists of the clinic (within their locations);
      a clinic admin gets INSUFFICIENT_PERMISSIONS; whoever may not see it APPOINTMENT_NOT_FOUND.
    - A completed, no-show or already cancelled appointment: APPOINTMENT_TRANSITION_NOT_ALLOWED.
    - The slot is free again at once: the doctor's availability is invalidated.
    - Audited (CANCEL_APPOINTMENT), emits appointment.cancelled with ``cancelledBy`` (never the
      reason), in one unit of work.
    """

    def __init__(self, writes: AppointmentWrites) -> None:
        self._writes = writes

    async def __call__(self, cmd: CancelAppointmentCommand, actor: Actor) -> AppointmentView:
        async def apply(appointment: Appointment, now: datetime) -> Change:
            appointment.cancel(reason=cmd.reason, by=actor.user_id, at=now)
            by = {
                "cancelledBy": str(actor.user_id),
                "cancelledByRole": actor_role(actor, appointment.clinic_id) or "",
            }
            return Change(EventKind.APPOINTMENT_CANCELLED, ("cancellation", "status"), by)

        return await self._writes(cmd, actor, Action.CANCEL_APPOINTMENT, apply)
