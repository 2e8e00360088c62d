"""What the appointment use cases hand back, and the cache tags an appointment write touches."""

from __future__ import annotations

from dataclasses import dataclass

from domain.appointments import Appointment


@dataclass(frozen=True, slots=True)
class AppointmentView:
    """An appointment with its clinic's time zone (IANA name), for the local wall time."""

    appointment: Appointment
    time_zone: str


def appointment_tags(appointment: Appointment) -> tuple[str, ...]:
    """Cache tags a write of ``appointment`` invalidates: the doctor's availability."""
    return (f"doctor:{appointment.doctor_id}",)
