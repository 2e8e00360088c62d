"""The one gate before any read of a patient's PHI (used by the clinical use cases)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from application.ports.consent import EmergencyGrantRepository
from domain.access import Action, Actor, Decision, decide
from domain.consent import ConsentRecord, ConsentScope, has_active
from domain.errors import ConsentExpired, InsufficientPermissions, PatientNotFound
from domain.identity import Role


class PhiBasis(StrEnum):
    """Why a read was allowed; recorded with the read in the audit trail."""

    SELF = "self"
    CONSENT = "consent"
    EMERGENCY = "emergency"


class ConsentHistory(Protocol):
    """What the gate reads of consents: a ConsentRepository, or a cached reader of one."""

    async def history(self, clinic_id: UUID, patient_id: UUID) -> Sequence[ConsentRecord]: ...


CONSENTS_TAG = "consents:{patient_id}"
"""The cache tag of a patient's consent history (a template over ``patient_id``)."""


def consents_tag(patient_id: UUID) -> str:
    """The tag a consent write touches, so the cached history is read again."""
    return CONSENTS_TAG.format(patient_id=patient_id)


@dataclass(frozen=True, slots=True)
class PhiAccess:
    basis: PhiBasis
    emergency_grant: UUID | None = None


async def authorize_phi_read(
    actor: Actor,
    clinic_id: UUID,
    patient_id: UUID,
    *,
    location_id: UUID | None,
    consents: ConsentHistory,
    grants: EmergencyGrantRepository,
    now: datetime,
) -> PhiAccess:
    """Allow reading ``patient_id``'s PHI, or raise.

    - The patient reads their own.
    - Clinical staff (within their locations) read under an active treatment consent; without
      one: CONSENT_EXPIRED.
    - A doctor of the clinic with an active break-glass grant on the patient reads whatever the
      policy or consents say, and the read is marked as emergency access.
    - Everyone else: PATIENT_NOT_FOUND (outsiders, other patients, staff past their locations) or
      INSUFFICIENT_PERMISSIONS (a member whose role never reads PHI).
    """
    decision = decide(
        actor, Action.VIEW_PATIENT_PHI, clinic_id, patient_id=patient_id, location_id=location_id
    )
    if decision is Decision.ALLOWED and patient_id == actor.user_id:
        return PhiAccess(PhiBasis.SELF)
    if decision is Decision.ALLOWED and has_active(
        await consents.history(clinic_id, patient_id), ConsentScope.TREATMENT, now
    ):
        return PhiAccess(PhiBasis.CONSENT)
    if actor.role_in(clinic_id) is Role.DOCTOR:
        grant = await grants.active(clinic_id, patient_id, actor.user_id, now)
        if grant is not None:
            return PhiAccess(PhiBasis.EMERGENCY, grant.id)
    if decision is Decision.ALLOWED:
        raise ConsentExpired()
    if decision is Decision.ROLE_DENIED:
        raise InsufficientPermissions()
    raise PatientNotFound()
