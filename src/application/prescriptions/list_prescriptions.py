"""List a patient's prescriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from application.access import require_for_patient
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.consent.patients import require_patient
from application.consent.phi_access import authorize_phi_read
from application.pagination import Page, PageRequest, page_of
from application.ports.audit import PhiReadAudit
from application.ports.clock import Clock
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from application.ports.prescriptions import PrescriptionRepository
from application.ports.repositories import MembershipRepository
from application.prescriptions.get_prescription import read_action
from domain.access import Action, Actor
from domain.errors import PatientNotFound, ValidationFailed
from domain.identity import Role
from domain.prescriptions import Prescription


@dataclass(frozen=True, slots=True, kw_only=True)
class ListPrescriptionsQuery:
    clinic_id: UUID
    patient_id: UUID | None = None  # a patient's own by default; required of staff
    page: PageRequest = field(default_factory=PageRequest)


class ListPrescriptions:
    """Every version of one patient's prescriptions in a clinic, by id, keyset-paginated.

    - A patient sees only their own (``patient_id`` defaults to them; another patient's is
      PATIENT_NOT_FOUND). Staff name the patient, and need VIEW_PRESCRIPTIONS and a PHI basis
      for them, as for one prescription. Refusals are audited (DENIED).
    - A page is one PHI read, audited once (VIEW_PRESCRIPTION with the patient as the resource).
    """

    def __init__(
        self,
        memberships: MembershipRepository,
        prescriptions: PrescriptionRepository,
        consents: ConsentRepository,
        grants: EmergencyGrantRepository,
        clock: Clock,
        audit: AuditEntries,
        phi_reads: PhiReadAudit,
        denied: DeniedAttempts,
    ) -> None:
        self._memberships = memberships
        self._prescriptions = prescriptions
        self._consents = consents
        self._grants = grants
        self._clock = clock
        self._audit = audit
        self._phi_reads = phi_reads
        self._denied = denied

    async def __call__(self, query: ListPrescriptionsQuery, actor: Actor) -> Page[Prescription]:
        return await self._denied.guard(lambda: self._list(query, actor))

    async def _list(self, query: ListPrescriptionsQuery, actor: Actor) -> Page[Prescription]:
        patient_id = query.patient_id
        if patient_id is None:
            if actor.role_in(query.clinic_id) is not Role.PATIENT:
                raise ValidationFailed(
                    details={"patientId": "required (the patient whose prescriptions to list)"}
                )
            patient_id = actor.user_id
        require_for_patient(actor, Action.VIEW_PRESCRIPTIONS, query.clinic_id, patient_id, PatientNotFound())
        await require_patient(self._memberships, query.clinic_id, patient_id)
        access = await authorize_phi_read(
            actor,
            query.clinic_id,
            patient_id,
            location_id=None,
            consents=self._consents,
            grants=self._grants,
            now=self._clock.now(),
        )
        rows = await self._prescriptions.list(
            query.clinic_id, patient_id, after=query.page.after, limit=query.page.limit + 1
        )
        await self._phi_reads.record(
            self._audit.entry(
                actor,
                read_action(access.basis),
                "patient",
                patient_id,
                clinic_id=query.clinic_id,
                patient_id=patient_id,
            )
        )
        return page_of(rows, query.page, key=lambda p: p.id)
