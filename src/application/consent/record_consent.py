"""Record a patient's consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.access import require_for_patient
from application.auditing import AuditEntries
from application.consent.patients import require_patient
from application.consent.phi_access import consents_tag
from application.ports.clock import Clock, IdGenerator
from application.ports.consent import ConsentRepository
from application.ports.repositories import MembershipRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.consent import ConsentRecord, ConsentScope
from domain.errors import PatientNotFound, ValidationFailed


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordConsentCommand:
    clinic_id: UUID
    patient_id: UUID
    scope: str
    expires_at: datetime | None = None


class RecordConsent:
    """Record a consent.

    - The patient themselves, or the clinic's staff (recording consent given at the desk).
    - Scopes: treatment, data_sharing, whatsapp_notifications; an end, when given, is in the future.
    - Recorded as a new entry in the history; audited.
    """

    def __init__(
        self,
        memberships: MembershipRepository,
        consents: ConsentRepository,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
    ) -> None:
        self._memberships = memberships
        self._consents = consents
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: RecordConsentCommand, actor: Actor) -> ConsentRecord:
        return await self._uow.run(lambda: self._execute(cmd, actor))

    async def _execute(self, cmd: RecordConsentCommand, actor: Actor) -> ConsentRecord:
        require_for_patient(actor, Action.MANAGE_CONSENT, cmd.clinic_id, cmd.patient_id, PatientNotFound())
        await require_patient(self._memberships, cmd.clinic_id, cmd.patient_id)
        try:
            scope = ConsentScope(cmd.scope)
        except ValueError:
            raise ValidationFailed(details={"scope": f"expected one of {', '.join(ConsentScope)}"}) from None
        now = self._clock.now()
        if cmd.expires_at is not None and (cmd.expires_at.tzinfo is None or cmd.expires_at <= now):
            raise ValidationFailed(details={"expiresAt": "expected a future time with a time zone"})
        record = ConsentRecord(
            id=self._ids.new_id(),
            clinic_id=cmd.clinic_id,
            patient_id=cmd.patient_id,
            scope=scope,
            recorded_at=now,
            recorded_by=actor.user_id,
            expires_at=cmd.expires_at,
        )
        await self._consents.add(record)
        self._uow.touch(consents_tag(cmd.patient_id))  # the PHI gate's cached history
        self._uow.record(
            self._audit.entry(actor, "RECORD_CONSENT", "consent", record.id, clinic_id=cmd.clinic_id)
        )
        await self._uow.commit()
        return record
