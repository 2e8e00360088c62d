"""Turning the domain's access decisions into the errors a caller sees.

Every refusal carries a Denial (``DomainError.denial``), whatever its code, so that the unit of
work (or, for reads, ``application.audit.denials``) audits it as DENIED in its own transaction.
``resource`` names what was aimed at, when it is more than the clinic itself.
"""

from __future__ import annotations

from uuid import UUID

from application.auditing import denial
from domain.access import Action, Actor, Decision, decide
from domain.errors import ClinicAccessDenied, DomainError, InsufficientPermissions

Resource = tuple[str, UUID | str]


def require(
    actor: Actor, action: Action, clinic_id: UUID | None = None, *, resource: Resource | None = None
) -> None:
    """Allow ``action`` on the clinic itself, or raise: CLINIC_ACCESS_DENIED for someone outside
    the clinic, INSUFFICIENT_PERMISSIONS for a member whose role does not allow it."""
    decision = decide(actor, action, clinic_id)
    if decision is Decision.ALLOWED:
        return
    refused = denial(actor, action, clinic_id, resource=resource)
    if decision is Decision.NOT_A_MEMBER:
        raise ClinicAccessDenied(denial=refused)
    raise InsufficientPermissions(denial=refused)


def require_in_clinic(
    actor: Actor,
    action: Action,
    clinic_id: UUID,
    not_found: DomainError,
    *,
    resource: Resource | None = None,
) -> None:
    """Allow ``action`` on a resource of a clinic, or raise. Someone outside the clinic gets
    ``not_found``, so that another clinic's ids reveal nothing; a member whose role does not
    allow it gets INSUFFICIENT_PERMISSIONS."""
    decision = decide(actor, action, clinic_id)
    if decision is Decision.ALLOWED:
        return
    refused = denial(actor, action, clinic_id, resource=resource)
    if decision is Decision.NOT_A_MEMBER:
        not_found.denial = refused
        raise not_found
    raise InsufficientPermissions(denial=refused)


def require_for_patient(
    actor: Actor,
    action: Action,
    clinic_id: UUID,
    patient_id: UUID,
    not_found: DomainError,
    *,
    location_id: UUID | None = None,
) -> None:
    """Allow ``action`` on a patient's data, or raise. Outsiders, patients reaching for someone
    else, and staff past their locations get ``not_found``: none of them may learn the patient
    exists. A member whose role does not allow it gets INSUFFICIENT_PERMISSIONS."""
    decision = decide(actor, action, clinic_id, patient_id=patient_id, location_id=location_id)
    if decision is Decision.ALLOWED:
        return
    refused = denial(actor, action, clinic_id, resource=("patient", patient_id), patient_id=patient_id)
    if decision in (Decision.NOT_A_MEMBER, Decision.NOT_OWN, Decision.OUTSIDE_LOCATIONS):
        not_found.denial = refused
        raise not_found
    raise InsufficientPermissions(denial=refused)
