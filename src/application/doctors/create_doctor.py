"""Create a doctor's profile in a clinic."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import require
from application.auditing import AuditEntries
from application.ports.clock import Clock
from application.ports.doctors import DoctorRepository
from application.ports.repositories import MembershipRepository, UserRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.doctors import Doctor
from domain.errors import DoctorAlreadyExists, ValidationFailed
from domain.identity import Role


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateDoctorCommand:
    clinic_id: UUID
    user_id: UUID
    specialty: str
    licence_number: str
    display_name: str | None = None  # None: the user's name
    bio: str | None = None
    slot_minutes: int | None = None


class CreateDoctor:
    """Create a doctor's profile.

    - Clinic admins of the clinic (and super admins); outsiders get CLINIC_ACCESS_DENIED.
    - The user must hold the DOCTOR role in this clinic (VALIDATION_ERROR on ``userId``); the
      profile shares the user's id, so a second profile is DOCTOR_ALREADY_EXISTS.
    - The name patients see is ``display_name``, or the user's own name when none is given.
    - Starts active, with no working hours (nothing is bookable until a schedule is set).
    - Audited as CREATE_DOCTOR in the same transaction.
    """

    def __init__(
        self,
        memberships: MembershipRepository,
        users: UserRepository,
        doctors: DoctorRepository,
        uow: UnitOfWork,
        clock: Clock,
        audit: AuditEntries,
    ) -> None:
        self._memberships = memberships
        self._users = users
        self._doctors = doctors
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: CreateDoctorCommand, actor: Actor) -> Doctor:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: CreateDoctorCommand, actor: Actor) -> Doctor:
        require(actor, Action.MANAGE_DOCTORS, cmd.clinic_id)
        membership = await self._memberships.get(cmd.clinic_id, cmd.user_id)
        if membership is None or membership.role is not Role.DOCTOR:
            raise ValidationFailed(
                details={"userId": "expected a user holding the DOCTOR role in this clinic"}
            )
        if await self._doctors.get(cmd.clinic_id, cmd.user_id) is not None:
            raise DoctorAlreadyExists()
        now = self._clock.now()
        user = None if cmd.display_name else await self._users.get(cmd.user_id)
        doctor = Doctor(
            id=cmd.user_id,
            clinic_id=cmd.clinic_id,
            specialty=cmd.specialty,
            licence_number=cmd.licence_number,
            display_name=cmd.display_name or (user.name if user is not None else None),
            bio=cmd.bio,
            slot_minutes=30 if cmd.slot_minutes is None else cmd.slot_minutes,
            created_at=now,
            updated_at=now,
            created_by=actor.user_id,
            updated_by=actor.user_id,
        )
        await self._doctors.add(doctor)
        self._uow.record(
            self._audit.entry(actor, "CREATE_DOCTOR", "doctor", doctor.id, clinic_id=cmd.clinic_id)
        )
        await self._uow.commit()
        return doctor
