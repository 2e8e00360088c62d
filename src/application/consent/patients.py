"""Shared checks for use cases on one patient of a clinic."""

from __future__ import annotations

from uuid import UUID

from application.ports.repositories import MembershipRepository
from domain.errors import PatientNotFound
from domain.identity import Role


async def require_patient(memberships: MembershipRepository, clinic_id: UUID, patient_id: UUID) -> None:
    """A patient of a clinic is a user holding the PATIENT role there (the clinical-core issue adds
    the patient record on the same id); anything else is PATIENT_NOT_FOUND."""
    membership = await memberships.get(clinic_id, patient_id)
    if membership is None or membership.role is not Role.PATIENT:
        raise PatientNotFound()
