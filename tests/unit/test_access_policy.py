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
}
MEMBER_ROLES = [Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST, Role.PATIENT]


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


@pytest.mark.parametrize("action", list(Action))
def test_super_admin_may_do_everything(action: Action) -> None:
    assert decide(Actor(user_id=uuid4(), is_super_admin=True), action, CLINIC) is Decision.ALLOWED


@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_platform_actions(role: Role) -> None:
    actor = member(role)
    assert decide(actor, Action.CREATE_CLINIC) is Decision.ROLE_DENIED
    assert decide(actor, Action.LIST_ALL_CLINICS) is Decision.ROLE_DENIED
    expected = Decision.ALLOWED if role is Role.CLINIC_ADMIN else Decision.ROLE_DENIED
    assert decide(actor, Action.CREATE_USER) is expected


def test_every_clinic_action_is_in_the_table() -> None:
    from domain.access import PLATFORM_POLICY, POLICY

    assert set(POLICY) | set(PLATFORM_POLICY) == set(Action)
    assert set(POLICY) == set(ALLOWED)
