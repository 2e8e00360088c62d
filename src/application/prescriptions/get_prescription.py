"""Read one prescription version."""

from __future__ import annotations

from uuid import UUID

from application.access import require_for_patient
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.caching import UNCACHED, QueryCache, cached
from application.consent.phi_access import PhiBasis, authorize_phi_read
from application.ports.audit import PhiReadAudit
from application.ports.cache import FREQUENT
from application.ports.clock import Clock
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from application.ports.prescriptions import PrescriptionRepository
from application.prescriptions.common import RESOURCE, find_prescription
from domain.access import Action, Actor
from domain.errors import PrescriptionNotFound
from domain.prescriptions import Prescription


def read_action(basis: PhiBasis) -> str:
    """The audited action of a PHI read of prescriptions, naming break-glass reads as such."""
    return "VIEW_PRESCRIPTION_EMERGENCY" if basis is PhiBasis.EMERGENCY else "VIEW_PRESCRIPTION"


class GetPrescription:
    """Read a prescription version, superseded ones included.

    - The patient reads their own; doctors of the clinic (VIEW_PRESCRIPTIONS) with a PHI basis
      for the patient (treatment consent or break-glass: CONSENT_EXPIRED without one).
    - Outsiders, other patients: PRESCRIPTION_NOT_FOUND; other roles: INSUFFICIENT_PERMISSIONS.
      Refusals are audited (DENIED).
    - Every read is a PHI read, audited (VIEW_PRESCRIPTION, or VIEW_PRESCRIPTION_EMERGENCY under
      break-glass), naming the patient.
    - The version is cached encrypted (sensitive; key per clinic, tag ``prescription:<id>``); a
      correction drops the corrected version's entry (its ``superseded_by`` changes). Access,
      the PHI basis and the read audit run on every call, hit or miss, on the cached version.
    """

    def __init__(
        self,
        prescriptions: PrescriptionRepository,
        consents: ConsentRepository,
        grants: EmergencyGrantRepository,
        clock: Clock,
        audit: AuditEntries,
        phi_reads: PhiReadAudit,
        denied: DeniedAttempts,
        cache: QueryCache = UNCACHED,
    ) -> None:
        self._prescriptions = prescriptions
        self._consents = consents
        self._grants = grants
        self._clock = clock
        self._audit = audit
        self._phi_reads = phi_reads
        self._denied = denied
        self.cache = cache

    async def __call__(self, prescription_id: UUID, actor: Actor) -> Prescription:
        return await self._denied.guard(lambda: self._read(prescription_id, actor))

    async def _read(self, prescription_id: UUID, actor: Actor) -> Prescription:
        prescription = await find_prescription(self.load, actor, prescription_id)
        clinic_id, patient_id = prescription.clinic_id, prescription.patient_id
        require_for_patient(actor, Action.VIEW_PRESCRIPTIONS, clinic_id, patient_id, PrescriptionNotFound())
        access = await authorize_phi_read(
            actor,
            clinic_id,
            patient_id,
            location_id=None,
            consents=self._consents,
            grants=self._grants,
            now=self._clock.now(),
        )
        await self._phi_reads.record(
            self._audit.entry(
                actor,
                read_action(access.basis),
                RESOURCE,
                prescription.id,
                clinic_id=clinic_id,
                patient_id=patient_id,
            )
        )
        return prescription

    @cached(
        "prescription:{clinic_id}:{prescription_id}",
        policy=FREQUENT,
        phi=True,
        tags=("prescription:{prescription_id}",),
    )
    async def load(self, clinic_id: UUID, prescription_id: UUID) -> Prescription | None:
        return await self._prescriptions.get(clinic_id, prescription_id)
