"""Revoke a consent."""

from __future__ import annotations

from uuid import UUID

from application.access import require_for_patient
from application.auditing import AuditEntries
from application.consent.phi_access import consents_tag
from application.ports.clock import Clock, IdGenerator
from application.ports.consent import ConsentRepository
from application.ports.uow import UnitOfWork
from domain.access import Action, Actor
from domain.consent import ConsentRecord, active_grants
from domain.errors import ConsentNotFound, PatientNotFound


class RevokeConsent:
    """Revoke a consent.

    - Who may record it may revoke it.
    - Only an active grant of this patient can be revoked (CONSENT_NOT_FOUND otherwise); the
      revocation is a new record, the grant stays in the history. Audited.
    """

    def __init__(
        self,
        consents: ConsentRepository,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
    ) -> None:
        self._consents = consents
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(
        self, clinic_id: UUID, patient_id: UUID, consent_id: UUID, actor: Actor
    ) -> ConsentRecord:
        return await self._uow.run(lambda: self._execute(clinic_id, patient_id, consent_id, actor))

    async def _execute(
        self, clinic_id: UUID, patient_id: UUID, consent_id: UUID, actor: Actor
    ) -> ConsentRecord:
        require_for_patient(actor, Action.MANAGE_CONSENT, clinic_id, patient_id, PatientNotFound())
        now = self._clock.now()
        grant = next(
            (
                g
                for g in active_grants(await self._consents.history(clinic_id, patient_id), now)
                if g.id == consent_id
            ),
            None,
        )
        if grant is None:
            raise ConsentNotFound()
        revocation = ConsentRecord(
            id=self._ids.new_id(),
            clinic_id=clinic_id,
            patient_id=patient_id,
            scope=grant.scope,
            recorded_at=now,
            recorded_by=actor.user_id,
            revokes=grant.id,
        )
        await self._consents.add(revocation)
        self._uow.touch(consents_tag(patient_id))  # the PHI gate's cached history: withdrawn at once
        self._uow.record(self._audit.entry(actor, "REVOKE_CONSENT", "consent", grant.id, clinic_id=clinic_id))
        await self._uow.commit()
        return revocation
