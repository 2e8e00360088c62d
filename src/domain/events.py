"""Domain events: what happened to a clinic's appointments and prescriptions, for others to act on.

Rules:
- An event is written in the same unit of work as the change it describes (the transactional
  outbox): it exists if and only if the change committed.
- An event carries ids, times and states only, never PHI (no names, no reasons, no medication):
  whoever acts on it reads what it needs, under its own access rules.
- ``kind`` names are stable (``appointment.booked``...), like error codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class EventKind(StrEnum):
    APPOINTMENT_BOOKED = "appointment.booked"
    APPOINTMENT_HELD = "appointment.held"
    APPOINTMENT_CONFIRMED = "appointment.confirmed"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    APPOINTMENT_CHECKED_IN = "appointment.checked_in"
    APPOINTMENT_COMPLETED = "appointment.completed"
    APPOINTMENT_NO_SHOW = "appointment.no_show"
    PRESCRIPTION_ISSUED = "prescription.issued"


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    id: UUID
    clinic_id: UUID
    kind: EventKind
    subject_id: UUID  # the appointment or prescription
    occurred_at: datetime
    data: Mapping[str, str] = field(default_factory=dict)  # ids, ISO times, states: never PHI
