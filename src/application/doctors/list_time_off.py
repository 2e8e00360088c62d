"""List a doctor's time off within a range."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.access import require_in_clinic
from application.audit.denials import DeniedAttempts
from application.doctors.access import existing_doctor
from application.ports.clock import Clock
from application.ports.doctors import DoctorRepository, TimeOffRepository
from domain.access import Action, Actor, Decision
from domain.doctors import MAX_TIME_OFF, TimeOff, decide_doctor_change
from domain.errors import DoctorNotFound, ValidationFailed
from domain.scheduling import Interval


@dataclass(frozen=True, slots=True, kw_only=True)
class ListTimeOffQuery:
    """``starts`` defaults to now, ``ends`` to 366 days after ``starts``."""

    clinic_id: UUID
    doctor_id: UUID
    starts: datetime | None = None
    ends: datetime | None = None


class ListTimeOff:
    """The doctor's periods of time off that overlap a range, by start.

    - Every member of the clinic (any role) sees the periods; outsiders get DOCTOR_NOT_FOUND.
    - The reason is shown only to those who may change the doctor's time off (clinic admins,
      the doctor): it may say something personal about the doctor.
    - The range is at most 366 days: it bounds the answer, as a page bounds other lists.
    """

    def __init__(
        self, doctors: DoctorRepository, time_off: TimeOffRepository, clock: Clock, denied: DeniedAttempts
    ) -> None:
        self._doctors = doctors
        self._time_off = time_off
        self._clock = clock
        self._denied = denied

    async def __call__(self, query: ListTimeOffQuery, actor: Actor) -> Sequence[TimeOff]:
        return await self._denied.guard(lambda: self._list(query, actor))

    async def _list(self, query: ListTimeOffQuery, actor: Actor) -> Sequence[TimeOff]:
        resource = ("doctor", query.doctor_id)
        require_in_clinic(actor, Action.VIEW_DOCTORS, query.clinic_id, DoctorNotFound(), resource=resource)
        span = _span(query.starts or self._clock.now(), query.ends)
        await existing_doctor(self._doctors, query.clinic_id, query.doctor_id)
        periods = await self._time_off.overlapping(query.clinic_id, query.doctor_id, span)
        if decide_doctor_change(actor, query.clinic_id, query.doctor_id, ("time_off",)) is Decision.ALLOWED:
            return periods
        return [dataclasses.replace(p, reason=None) for p in periods]


def _span(starts: datetime, ends: datetime | None) -> Interval:
    for name, value in (("from", starts), ("to", ends)):
        if value is not None and value.utcoffset() is None:
            raise ValidationFailed(
                details={name: "expected a time with a time zone, e.g. 2026-03-01T00:00:00Z"}
            )
    end = ends if ends is not None else starts + MAX_TIME_OFF
    if end <= starts:
        raise ValidationFailed(details={"to": "expected a time after from"})
    if end - starts > MAX_TIME_OFF:
        raise ValidationFailed(details={"to": f"expected at most {MAX_TIME_OFF.days} days after from"})
    return Interval(starts, end)
