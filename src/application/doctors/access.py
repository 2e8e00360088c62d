"""Shared checks for the use cases on one doctor of a clinic."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from application.auditing import denial
from application.ports.doctors import DoctorRepository
from domain.access import Action, Actor, Decision
from domain.doctors import Doctor, decide_doctor_change
from domain.errors import DoctorNotFound, InsufficientPermissions


def require_doctor_change(
    actor: Actor, clinic_id: UUID, doctor_id: UUID, fields: Collection[str] = ()
) -> None:
    """Allow changing ``fields`` of the doctor (``decide_doctor_change``), or raise:
    DOCTOR_NOT_FOUND for someone outside the clinic, INSUFFICIENT_PERMISSIONS for a member who
    may not (another doctor, a receptionist, a patient, a doctor touching an admin-only field)."""
    decision = decide_doctor_change(actor, clinic_id, doctor_id, fields)
    if decision is Decision.ALLOWED:
        return
    refused = denial(actor, Action.MANAGE_DOCTORS, clinic_id, resource=("doctor", doctor_id))
    if decision is Decision.NOT_A_MEMBER:
        raise DoctorNotFound(denial=refused)
    raise InsufficientPermissions(denial=refused)


async def existing_doctor(doctors: DoctorRepository, clinic_id: UUID, doctor_id: UUID) -> Doctor:
    """The doctor of this clinic, or DOCTOR_NOT_FOUND."""
    doctor = await doctors.get(clinic_id, doctor_id)
    if doctor is None:
        raise DoctorNotFound()
    return doctor
