"""Who may change a doctor (profile, schedule, time off), as a table: ``decide_doctor_change``."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.access import Actor, ClinicRole, Decision
from domain.doctors import decide_doctor_change
from domain.identity import Role

CLINIC, OTHER = uuid4(), uuid4()
DOCTOR = uuid4()  # the doctor whose data is changed

PROFILE = ("specialty", "bio", "slot_minutes")
LICENCE = ("licence_number",)
ACTIVE = ("active",)
SCHEDULE = ("hours", "breaks", "slot_minutes")
TIME_OFF = ("time_off",)
NOTHING: tuple[str, ...] = ()
CHANGES = {
    "profile": PROFILE,
    "licence": LICENCE,
    "active": ACTIVE,
    "schedule": SCHEDULE,
    "time_off": TIME_OFF,
    "nothing": NOTHING,
    "bio_and_licence": ("bio", "licence_number"),
}

ACTORS = {
    "clinic_admin": Actor(user_id=uuid4(), memberships={CLINIC: ClinicRole(Role.CLINIC_ADMIN)}),
    "own_doctor": Actor(user_id=DOCTOR, memberships={CLINIC: ClinicRole(Role.DOCTOR)}),
    "other_doctor": Actor(user_id=uuid4(), memberships={CLINIC: ClinicRole(Role.DOCTOR)}),
    "receptionist": Actor(user_id=uuid4(), memberships={CLINIC: ClinicRole(Role.RECEPTIONIST)}),
    "patient": Actor(user_id=uuid4(), memberships={CLINIC: ClinicRole(Role.PATIENT)}),
    "outsider_admin": Actor(user_id=uuid4(), memberships={OTHER: ClinicRole(Role.CLINIC_ADMIN)}),
    # The same person as a doctor of another clinic: their own id means nothing here.
    "own_doctor_elsewhere": Actor(user_id=DOCTOR, memberships={OTHER: ClinicRole(Role.DOCTOR)}),
    # A patient of this clinic who happens to share the doctor's id is still a patient here.
    "own_id_as_patient": Actor(user_id=DOCTOR, memberships={CLINIC: ClinicRole(Role.PATIENT)}),
    "super_admin": Actor(user_id=uuid4(), is_super_admin=True),
}

A, D, N = Decision.ALLOWED, Decision.ROLE_DENIED, Decision.NOT_A_MEMBER
# Written out by hand, independently of the rule: a change to the rule shows here.
TABLE = {
    #                      profile licence active schedule time_off nothing bio_and_licence
    "clinic_admin": (A, A, A, A, A, A, A),
    "own_doctor": (A, D, D, A, A, A, D),
    "other_doctor": (D, D, D, D, D, D, D),
    "receptionist": (D, D, D, D, D, D, D),
    "patient": (D, D, D, D, D, D, D),
    "outsider_admin": (N, N, N, N, N, N, N),
    "own_doctor_elsewhere": (N, N, N, N, N, N, N),
    "own_id_as_patient": (D, D, D, D, D, D, D),
    "super_admin": (A, A, A, A, A, A, A),
}


@pytest.mark.parametrize("who", list(TABLE))
@pytest.mark.parametrize("change", list(CHANGES))
def test_who_may_change_a_doctor(who: str, change: str) -> None:
    expected = TABLE[who][list(CHANGES).index(change)]
    assert decide_doctor_change(ACTORS[who], CLINIC, DOCTOR, CHANGES[change]) is expected
