"""Read one patient's record."""

from __future__ import annotations

from uuid import UUID

from application.access import require_for_patient
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.caching import UNCACHED, QueryCache, cached
from application.patients.phi_reads import VIEW_PATIENT, gate_phi_read, read_action
from application.ports.audit import PhiReadAudit
from application.ports.cache import FREQUENT
from application.ports.clock import Clock
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from application.ports.patients import PatientRepository
from domain.access import Action, Actor
from domain.errors import PatientNotFound
from domain.patients import Patient


class GetPatient:
    """Read a patient's record (PHI).

    - The patient reads their own; doctors and receptionists of the clinic read under an active
      treatment consent (CONSENT_EXPIRED without one), or a doctor under a break-glass grant.
    - Outsiders, other patients and a missing or deleted record: PATIENT_NOT_FOUND; clinic admins
      (who never read clinical records): INSUFFICIENT_PERMISSIONS. Refusals are audited (DENIED).
    - Every read is audited as VIEW_PATIENT_<basis> (SELF, CONSENT, EMERGENCY) naming the patient.
    - The record is cached encrypted (sensitive, tag ``patient:<id>``, key per clinic);
      authorization and the read audit run on every call, hit or miss.
    """

    def __init__(
        self,
        patients: PatientRepository,
        consents: ConsentRepository,
        grants: EmergencyGrantRepository,
        clock: Clock,
        audit: AuditEntries,
        phi_reads: PhiReadAudit,
        denied: DeniedAttempts,
        cache: QueryCache = UNCACHED,
    ) -> None:
        self._patients = patients
        self._consents = consents
        self._grants = grants
        self._clock = clock
        self._audit = audit
        self._phi_reads = phi_reads
        self._denied = denied
        self.cache = cache

    async def __call__(self, clinic_id: UUID, patient_id: UUID, actor: Actor) -> Patient:
        return await self._denied.guard(lambda: self._read(clinic_id, patient_id, actor))

    async def _read(self, clinic_id: UUID, patient_id: UUID, actor: Actor) -> Patient:
        require_for_patient(actor, Action.VIEW_PATIENT_PHI, clinic_id, patient_id, PatientNotFound())
        patient = await self.load(clinic_id, patient_id)
        if patient is None:
            raise PatientNotFound()
        access = await gate_phi_read(
            actor, clinic_id, patient_id, consents=self._consents, grants=self._grants, now=self._clock.now()
        )
        await self._phi_reads.record(
            self._audit.entry(
                actor,
                read_action(VIEW_PATIENT, access),
                "patient",
                patient_id,
                clinic_id=clinic_id,
                patient_id=patient_id,
            )
        )
        return patient

    @cached("patient:{clinic_id}:{patient_id}", policy=FREQUENT, phi=True, tags=("patient:{patient_id}",))
    async def load(self, clinic_id: UUID, patient_id: UUID) -> Patient | None:
        return await self._patients.get(clinic_id, patient_id)
