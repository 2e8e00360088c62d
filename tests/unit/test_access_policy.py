"""The access policy as a table: every role against every clinic action, inside and outside."""

from uuid import uuid4

import pytest

from domain.access import Action, Actor, ClinicRole, Decision, decide
from domain.identity import Role

CLINIC = uuid4()
OTHER = uuid4()

# The expected table, written out independently of POLICY so that a change to it shows here.
ALLOWED = {
    Action.VIEW_CLINIC: {Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST, Role.PATIENT},
    Action.UPDATE_CLINIC: {Role.CLINIC_ADMIN},
    Action.ADD_LOCATION: {Role.CLINIC_ADMIN},
    Action.VIEW_LOCATIONS: {Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST, Role.PATIENT},
    Action.ADD_MEMBER: {Role.CLINIC_ADMIN},
    Action.VIEW_MEMBERS: {Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST},
    Action.VIEW_AUDIT_TRAIL: {Role.CLINIC_ADMIN},
    Action.VIEW_DOCTORS: {Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST, Role.PATIENT},
    Action.MANAGE_DOCTORS: {Role.CLINIC_ADMIN},
    Action.VIEW_AVAILABILITY: {Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST, Role.PATIENT},
    Action.CREATE_PATIENT: {Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST},
    Action.SEARCH_PATIENTS: {Role.DOCTOR, Role.RECEPTIONIST},
}
MEMBER_ROLES = [Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST, Role.PATIENT]

# Actions on one patient's data, as the policy reads: (staff roles allowed on any patient within
# their locations, and whether the patient may on their own data).
PATIENT_ACTIONS = {
    Action.VIEW_PATIENT_PHI: ({Role.DOCTOR, Role.RECEPTIONIST}, True),
    Action.MANAGE_CONSENT: ({Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST}, True),
    Action.VIEW_CONSENTS: ({Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST}, True),
    Action.REQUEST_EMERGENCY_ACCESS: ({Role.DOCTOR}, False),
    Action.UPDATE_PATIENT: ({Role.DOCTOR, Role.RECEPTIONIST}, True),
    Action.DELETE_PATIENT: ({Role.CLINIC_ADMIN}, False),
    Action.EXPORT_PATIENT_DATA: ({Role.CLINIC_ADMIN}, True),
    Action.BOOK_APPOINTMENT: ({Role.DOCTOR, Role.RECEPTIONIST}, True),
    Action.VIEW_APPOINTMENTS: ({Role.DOCTOR, Role.RECEPTIONIST}, True),
    Action.CONFIRM_APPOINTMENT: ({Role.DOCTOR, Role.RECEPTIONIST}, True),
    Action.CANCEL_APPOINTMENT: ({Role.DOCTOR, Role.RECEPTIONIST}, True),
    Action.RESCHEDULE_APPOINTMENT: ({Role.DOCTOR, Role.RECEPTIONIST}, True),
    Action.CHECK_IN_APPOINTMENT: ({Role.DOCTOR, Role.RECEPTIONIST}, False),
    Action.COMPLETE_APPOINTMENT: ({Role.DOCTOR}, False),
    Action.MARK_NO_SHOW: ({Role.DOCTOR, Role.RECEPTIONIST}, False),
    Action.ISSUE_PRESCRIPTION: ({Role.DOCTOR}, False),
    Action.VIEW_PRESCRIPTIONS: ({Role.DOCTOR}, True),
}
HOME, ELSEWHERE = uuid4(), uuid4()


def member(role: Role) -> Actor:
    return Actor(user_id=uuid4(), memberships={CLINIC: ClinicRole(role)})


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_members_get_what_the_table_says(role: Role, action: Action) -> None:
    expected = Decision.ALLOWED if role in ALLOWED[action] else Decision.ROLE_DENIED
    assert decide(member(role), action, CLINIC) is expected


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_nobody_acts_in_a_clinic_they_are_not_a_member_of(role: Role, action: Action) -> None:
    assert decide(member(role), action, OTHER) is Decision.NOT_A_MEMBER


MEMBERS_ONLY = {Action.SEARCH_PATIENTS}  # patients' data without one patient named


@pytest.mark.parametrize("action", [a for a in Action if a not in PATIENT_ACTIONS and a not in MEMBERS_ONLY])
def test_super_admin_may_do_everything_but_patient_data(action: Action) -> None:
    assert decide(Actor(user_id=uuid4(), is_super_admin=True), action, CLINIC) is Decision.ALLOWED


@pytest.mark.parametrize("action", sorted(MEMBERS_ONLY))
def test_super_admin_needs_a_clinical_role_to_search_patients(action: Action) -> None:
    outsider = Actor(user_id=uuid4(), is_super_admin=True)
    assert decide(outsider, action, CLINIC) is Decision.NOT_A_MEMBER
    as_admin = Actor(
        user_id=uuid4(), is_super_admin=True, memberships={CLINIC: ClinicRole(Role.CLINIC_ADMIN)}
    )
    assert decide(as_admin, action, CLINIC) is Decision.ROLE_DENIED
    as_doctor = Actor(user_id=uuid4(), is_super_admin=True, memberships={CLINIC: ClinicRole(Role.DOCTOR)})
    assert decide(as_doctor, action, CLINIC) is Decision.ALLOWED


@pytest.mark.parametrize("action", list(PATIENT_ACTIONS))
def test_super_admin_needs_a_clinical_role_for_patient_data(action: Action) -> None:
    outsider = Actor(user_id=uuid4(), is_super_admin=True)
    assert decide(outsider, action, CLINIC, patient_id=uuid4()) is Decision.NOT_A_MEMBER


@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_platform_actions(role: Role) -> None:
    actor = member(role)
    assert decide(actor, Action.CREATE_CLINIC) is Decision.ROLE_DENIED
    assert decide(actor, Action.LIST_ALL_CLINICS) is Decision.ROLE_DENIED
    assert decide(actor, Action.VIEW_PLATFORM_AUDIT_TRAIL) is Decision.ROLE_DENIED
    expected = Decision.ALLOWED if role is Role.CLINIC_ADMIN else Decision.ROLE_DENIED
    assert decide(actor, Action.CREATE_USER) is expected


def test_every_clinic_action_is_in_the_table() -> None:
    from domain.access import PATIENT_POLICY, PLATFORM_POLICY, POLICY

    assert set(POLICY) | set(PLATFORM_POLICY) | set(PATIENT_POLICY) == set(Action)
    assert set(POLICY) == set(ALLOWED)
    assert set(PATIENT_POLICY) == set(PATIENT_ACTIONS)


@pytest.mark.parametrize("action", list(PATIENT_ACTIONS))
@pytest.mark.parametrize("role", [Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST])
def test_staff_on_patient_data(role: Role, action: Action) -> None:
    staff_roles, _ = PATIENT_ACTIONS[action]
    anywhere = Actor(user_id=uuid4(), memberships={CLINIC: ClinicRole(role)})
    limited = Actor(user_id=uuid4(), memberships={CLINIC: ClinicRole(role, frozenset({HOME}))})
    patient = uuid4()
    expected = Decision.ALLOWED if role in staff_roles else Decision.ROLE_DENIED
    assert decide(anywhere, action, CLINIC, patient_id=patient, location_id=ELSEWHERE) is expected
    assert decide(limited, action, CLINIC, patient_id=patient, location_id=HOME) is expected
    past_locations = Decision.OUTSIDE_LOCATIONS if role in staff_roles else Decision.ROLE_DENIED
    assert decide(limited, action, CLINIC, patient_id=patient, location_id=ELSEWHERE) is past_locations
    assert decide(anywhere, action, OTHER, patient_id=patient) is Decision.NOT_A_MEMBER


@pytest.mark.parametrize("action", list(PATIENT_ACTIONS))
def test_patients_on_their_own_data_only(action: Action) -> None:
    _, own_allowed = PATIENT_ACTIONS[action]
    patient = member(Role.PATIENT)
    own = decide(patient, action, CLINIC, patient_id=patient.user_id)
    assert own is (Decision.ALLOWED if own_allowed else Decision.NOT_OWN)
    assert decide(patient, action, CLINIC, patient_id=uuid4()) is Decision.NOT_OWN
