"""Who may do what: the access policy as a pure function of (actor, action, clinic).

Rules:
- A super admin may do everything, in every clinic, except reach patients' data: that needs a
  clinical role in the clinic (PATIENT_POLICY, MEMBERS_ONLY) or break-glass.
- Inside a clinic, the actor's membership role decides, per the POLICY table.
- Someone without a membership in the clinic is outside it: the decision is NOT_A_MEMBER, which
  the application reports as CLINIC_ACCESS_DENIED for the clinic itself and as *_NOT_FOUND for
  the clinic's resources, so existence never leaks.
- Platform actions (not inside one clinic) are listed in PLATFORM_POLICY.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from uuid import UUID

from domain.identity import STAFF_ROLES, Role


class Action(StrEnum):
    CREATE_CLINIC = "CREATE_CLINIC"
    LIST_ALL_CLINICS = "LIST_ALL_CLINICS"
    CREATE_USER = "CREATE_USER"
    VIEW_CLINIC = "VIEW_CLINIC"
    UPDATE_CLINIC = "UPDATE_CLINIC"
    ADD_LOCATION = "ADD_LOCATION"
    VIEW_LOCATIONS = "VIEW_LOCATIONS"
    ADD_MEMBER = "ADD_MEMBER"
    VIEW_MEMBERS = "VIEW_MEMBERS"
    VIEW_PATIENT_PHI = "VIEW_PATIENT_PHI"
    MANAGE_CONSENT = "MANAGE_CONSENT"
    VIEW_CONSENTS = "VIEW_CONSENTS"
    REQUEST_EMERGENCY_ACCESS = "REQUEST_EMERGENCY_ACCESS"
    VIEW_AUDIT_TRAIL = "VIEW_AUDIT_TRAIL"
    VIEW_PLATFORM_AUDIT_TRAIL = "VIEW_PLATFORM_AUDIT_TRAIL"
    # Clinical core: doctors and their schedules
    VIEW_DOCTORS = "VIEW_DOCTORS"
    MANAGE_DOCTORS = "MANAGE_DOCTORS"
    VIEW_AVAILABILITY = "VIEW_AVAILABILITY"
    # Patients' records
    CREATE_PATIENT = "CREATE_PATIENT"
    SEARCH_PATIENTS = "SEARCH_PATIENTS"
    UPDATE_PATIENT = "UPDATE_PATIENT"
    DELETE_PATIENT = "DELETE_PATIENT"
    EXPORT_PATIENT_DATA = "EXPORT_PATIENT_DATA"
    # Appointments (on one patient's data)
    BOOK_APPOINTMENT = "BOOK_APPOINTMENT"
    VIEW_APPOINTMENTS = "VIEW_APPOINTMENTS"
    CONFIRM_APPOINTMENT = "CONFIRM_APPOINTMENT"
    CANCEL_APPOINTMENT = "CANCEL_APPOINTMENT"
    RESCHEDULE_APPOINTMENT = "RESCHEDULE_APPOINTMENT"
    CHECK_IN_APPOINTMENT = "CHECK_IN_APPOINTMENT"
    COMPLETE_APPOINTMENT = "COMPLETE_APPOINTMENT"
    MARK_NO_SHOW = "MARK_NO_SHOW"
    # Prescriptions
    ISSUE_PRESCRIPTION = "ISSUE_PRESCRIPTION"
    VIEW_PRESCRIPTIONS = "VIEW_PRESCRIPTIONS"


class Decision(Enum):
    ALLOWED = "allowed"
    NOT_A_MEMBER = "not_a_member"
    ROLE_DENIED = "role_denied"
    NOT_OWN = "not_own"  # a patient reaching for another patient's data
    OUTSIDE_LOCATIONS = "outside_locations"  # staff limited to locations, reaching past them


ALL_ROLES = frozenset(Role) - {Role.SUPER_ADMIN}

POLICY: Mapping[Action, frozenset[Role]] = {
    Action.VIEW_CLINIC: ALL_ROLES,
    Action.UPDATE_CLINIC: frozenset({Role.CLINIC_ADMIN}),
    Action.ADD_LOCATION: frozenset({Role.CLINIC_ADMIN}),
    Action.VIEW_LOCATIONS: ALL_ROLES,
    Action.ADD_MEMBER: frozenset({Role.CLINIC_ADMIN}),
    Action.VIEW_MEMBERS: STAFF_ROLES,
    Action.VIEW_AUDIT_TRAIL: frozenset({Role.CLINIC_ADMIN}),
    Action.VIEW_DOCTORS: ALL_ROLES,
    Action.MANAGE_DOCTORS: frozenset({Role.CLINIC_ADMIN}),  # a doctor edits their own: see the use cases
    Action.VIEW_AVAILABILITY: ALL_ROLES,
    Action.CREATE_PATIENT: frozenset({Role.CLINIC_ADMIN, Role.DOCTOR, Role.RECEPTIONIST}),
    Action.SEARCH_PATIENTS: frozenset({Role.DOCTOR, Role.RECEPTIONIST}),
}

# Platform actions: which clinic roles, held in any clinic, allow them (super admins always may).
PLATFORM_POLICY: Mapping[Action, frozenset[Role]] = {
    Action.CREATE_CLINIC: frozenset(),
    Action.LIST_ALL_CLINICS: frozenset(),
    Action.CREATE_USER: frozenset({Role.CLINIC_ADMIN}),
    Action.VIEW_PLATFORM_AUDIT_TRAIL: frozenset(),
}


CLINICAL_ROLES = frozenset({Role.DOCTOR, Role.RECEPTIONIST})

# Clinic actions that reach patients' data without naming one patient: the platform role does not
# grant them; a super admin needs an allowed role in the clinic like anyone else.
MEMBERS_ONLY: frozenset[Action] = frozenset({Action.SEARCH_PATIENTS})

# Actions on one patient's data: the clinic roles that may act on any patient of the clinic (within
# their locations), and whether a patient may act on their own data. Being a super admin grants
# none of these: reading a patient's PHI needs a clinical role in the clinic (or break-glass).
PATIENT_POLICY: Mapping[Action, tuple[frozenset[Role], bool]] = {
    Action.VIEW_PATIENT_PHI: (CLINICAL_ROLES, True),
    Action.MANAGE_CONSENT: (STAFF_ROLES, True),
    Action.VIEW_CONSENTS: (STAFF_ROLES, True),
    Action.REQUEST_EMERGENCY_ACCESS: (frozenset({Role.DOCTOR}), False),
    Action.UPDATE_PATIENT: (CLINICAL_ROLES, True),
    Action.DELETE_PATIENT: (frozenset({Role.CLINIC_ADMIN}), False),  # soft delete; kept for retention
    Action.EXPORT_PATIENT_DATA: (frozenset({Role.CLINIC_ADMIN}), True),
    Action.BOOK_APPOINTMENT: (CLINICAL_ROLES, True),
    Action.VIEW_APPOINTMENTS: (CLINICAL_ROLES, True),
    Action.CONFIRM_APPOINTMENT: (CLINICAL_ROLES, True),
    Action.CANCEL_APPOINTMENT: (CLINICAL_ROLES, True),
    Action.RESCHEDULE_APPOINTMENT: (CLINICAL_ROLES, True),
    Action.CHECK_IN_APPOINTMENT: (CLINICAL_ROLES, False),
    Action.COMPLETE_APPOINTMENT: (frozenset({Role.DOCTOR}), False),
    Action.MARK_NO_SHOW: (CLINICAL_ROLES, False),
    Action.ISSUE_PRESCRIPTION: (frozenset({Role.DOCTOR}), False),
    Action.VIEW_PRESCRIPTIONS: (frozenset({Role.DOCTOR}), True),
}


@dataclass(frozen=True, slots=True)
class ClinicRole:
    role: Role
    location_ids: frozenset[UUID] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """The caller of a use case: who they are, their roles per clinic, and the request they came
    with (for the audit trail)."""

    user_id: UUID
    is_super_admin: bool = False
    memberships: Mapping[UUID, ClinicRole] = field(default_factory=dict)
    request_id: str | None = None
    session_id: UUID | None = None  # None: an operator token, bound to no session
    client_ip: str | None = None  # as resolved at the edge (trusted proxies only); None outside HTTP

    def role_in(self, clinic_id: UUID) -> Role | None:
        held = self.memberships.get(clinic_id)
        return held.role if held else None

    @property
    def clinic_ids(self) -> frozenset[UUID]:
        return frozenset(self.memberships)


def decide(
    actor: Actor,
    action: Action,
    clinic_id: UUID | None = None,
    *,
    patient_id: UUID | None = None,
    location_id: UUID | None = None,
) -> Decision:
    """Decide ``action`` for ``actor``; ``clinic_id`` is required for clinic actions,
    ``patient_id`` for actions on a patient's data, ``location_id`` where the resource has one."""
    if action in PATIENT_POLICY:
        return _decide_for_patient(actor, action, clinic_id, patient_id, location_id)
    if actor.is_super_admin and action not in MEMBERS_ONLY:
        return Decision.ALLOWED
    if action in PLATFORM_POLICY:
        roles = {held.role for held in actor.memberships.values()}
        return Decision.ALLOWED if roles & PLATFORM_POLICY[action] else Decision.ROLE_DENIED
    if clinic_id is None:
        raise ValueError(f"{action} needs a clinic")
    role = actor.role_in(clinic_id)
    if role is None:
        return Decision.NOT_A_MEMBER
    return Decision.ALLOWED if role in POLICY[action] else Decision.ROLE_DENIED


def _decide_for_patient(
    actor: Actor, action: Action, clinic_id: UUID | None, patient_id: UUID | None, location_id: UUID | None
) -> Decision:
    if clinic_id is None or patient_id is None:
        raise ValueError(f"{action} needs a clinic and a patient")
    held = actor.memberships.get(clinic_id)
    if held is None:
        return Decision.NOT_A_MEMBER
    roles, own_allowed = PATIENT_POLICY[action]
    if held.role is Role.PATIENT:
        return Decision.ALLOWED if own_allowed and patient_id == actor.user_id else Decision.NOT_OWN
    if held.role not in roles:
        return Decision.ROLE_DENIED
    if held.location_ids and location_id is not None and location_id not in held.location_ids:
        return Decision.OUTSIDE_LOCATIONS
    return Decision.ALLOWED
