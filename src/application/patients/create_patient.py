"""Register a patient in a clinic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.access import require
from application.auditing import AuditEntries
from application.patients.phi_reads import clinic_today
from application.ports.clock import Clock, IdGenerator
from application.ports.patients import PatientRepository
from application.ports.repositories import ClinicRepository, MembershipRepository, UserRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.errors import ClinicNotFound, MembershipAlreadyExists, PatientAlreadyExists
from domain.identity import Membership, Role, User
from domain.patients import Patient, PatientDetails, patient_details


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePatientCommand:
    """``fields``: the record's fields by Python name (name, date_of_birth, phone, email,
    address, emergency_contact as a dict of name/phone/relationship, allergies, notes)."""

    clinic_id: UUID
    fields: dict[str, Any] = field(default_factory=dict)


class CreatePatient:
    """Register a patient: the platform user, the PATIENT membership and the record, together.

    - Clinic admins, doctors and receptionists of the clinic (and super admins) may register.
    - Every field is validated at once (VALIDATION_ERROR naming each bad field); a phone or an
      email is required.
    - The person is the platform user with that phone (else that email); a new user is made when
      there is none, so the patient can sign in with a one-time code. A user known elsewhere is
      reused silently: nothing about other clinics is read, copied or revealed.
    - The record has the user's id. A person who already has a record here (a deleted one kept
      for retention included), or whose phone or email another record here holds, is
      PATIENT_ALREADY_EXISTS; a staff member of this clinic cannot also be its patient
      (MEMBERSHIP_ALREADY_EXISTS).
    - One unit of work, audited: CREATE_USER (when made), ADD_MEMBER (when added), CREATE_PATIENT.
    """

    def __init__(
        self,
        clinics: ClinicRepository,
        users: UserRepository,
        memberships: MembershipRepository,
        patients: PatientRepository,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
    ) -> None:
        self._clinics = clinics
        self._users = users
        self._memberships = memberships
        self._patients = patients
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: CreatePatientCommand, actor: Actor) -> Patient:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: CreatePatientCommand, actor: Actor) -> Patient:
        require(actor, Action.CREATE_PATIENT, cmd.clinic_id)
        clinic = await self._clinics.get(cmd.clinic_id)
        if clinic is None:
            raise ClinicNotFound()
        now = self._clock.now()
        details = patient_details(cmd.fields, today=clinic_today(now, clinic.time_zone))
        user = await self._person(details, actor)
        await self._join(cmd.clinic_id, user.id, actor)
        if await self._patients.exists(cmd.clinic_id, user.id):
            raise PatientAlreadyExists()
        patient = Patient(
            id=user.id,
            clinic_id=cmd.clinic_id,
            name=details.name,
            date_of_birth=details.date_of_birth,
            phone=details.phone,
            email=details.email,
            address=details.address,
            emergency_contact=details.emergency_contact,
            allergies=details.allergies,
            notes=details.notes,
            created_at=now,
            created_by=actor.user_id,
            updated_at=now,
            updated_by=actor.user_id,
        )
        await self._patients.add(patient)
        self._uow.record(
            self._audit.entry(
                actor, "CREATE_PATIENT", "patient", patient.id, clinic_id=cmd.clinic_id, patient_id=patient.id
            )
        )
        await self._uow.commit()
        return patient

    async def _person(self, details: PatientDetails, actor: Actor) -> User:
        """The user with the phone, else with the email, else a new one holding both."""
        known = None
        if details.phone is not None:
            known = await self._users.get_by_phone(details.phone)
        if known is None and details.email is not None:
            known = await self._users.get_by_email(details.email)
        if known is not None:
            return known
        user = User(
            id=self._ids.new_id(),
            email=details.email,
            phone=details.phone,
            name=details.name,
            created_at=self._clock.now(),
            created_by=actor.user_id,
        )
        await self._users.add(user)
        self._uow.record(self._audit.entry(actor, "CREATE_USER", "user", user.id, clinic_id=None))
        return user

    async def _join(self, clinic_id: UUID, user_id: UUID, actor: Actor) -> None:
        """Add the PATIENT membership unless the user holds it already."""
        held = await self._memberships.get(clinic_id, user_id)
        if held is not None:
            if held.role is not Role.PATIENT:
                raise MembershipAlreadyExists()
            return
        await self._memberships.add(
            Membership(
                clinic_id=clinic_id,
                user_id=user_id,
                role=Role.PATIENT,
                created_at=self._clock.now(),
                created_by=actor.user_id,
            )
        )
        self._uow.record(
            self._audit.entry(
                actor, "ADD_MEMBER", "membership", user_id, clinic_id=clinic_id, patient_id=user_id
            )
        )
