"""Open a prescription's document through its signed link, without a session."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.auditing import AuditEntries
from application.ports.audit import PhiReadAudit
from application.ports.clock import Clock
from application.ports.document_links import DocumentLinks
from application.ports.prescriptions import PrescriptionRepository
from application.ports.tenancy import TenantScope
from application.prescriptions.common import RESOURCE
from domain.errors import DocumentLinkInvalid
from domain.prescriptions import Prescription

SIGNED_LINK_READ = "VIEW_PRESCRIPTION_SIGNED_LINK"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenDocumentQuery:
    prescription_id: UUID
    token: str
    request_id: str | None = None


class OpenPrescriptionDocument:
    """The prescription a signed link points to.

    - The token must be ours, untampered, unexpired, and for this very prescription:
      DOCUMENT_LINK_INVALID (401) otherwise, one error for every reason.
    - The link is the authority: it opens one clinic's rows for this request (the tenant scope)
      and nothing else. A superseded version still opens (the page says it was corrected).
    - The read is a PHI read, audited with no user as the actor: action
      VIEW_PRESCRIPTION_SIGNED_LINK (basis: the signed link), naming the patient and request.
    """

    def __init__(
        self,
        links: DocumentLinks,
        prescriptions: PrescriptionRepository,
        scope: TenantScope,
        clock: Clock,
        audit: AuditEntries,
        phi_reads: PhiReadAudit,
    ) -> None:
        self._links = links
        self._prescriptions = prescriptions
        self._scope = scope
        self._clock = clock
        self._audit = audit
        self._phi_reads = phi_reads

    async def __call__(self, query: OpenDocumentQuery) -> Prescription:
        grant = self._links.open(query.token, now=self._clock.now())
        if grant.prescription_id != query.prescription_id:
            raise DocumentLinkInvalid()
        await self._scope.apply(user_id=None, clinic_ids=(grant.clinic_id,))
        prescription = await self._prescriptions.get(grant.clinic_id, grant.prescription_id)
        if prescription is None:
            raise DocumentLinkInvalid()
        await self._phi_reads.record(
            self._audit.entry(
                None,
                SIGNED_LINK_READ,
                RESOURCE,
                prescription.id,
                clinic_id=prescription.clinic_id,
                request_id=query.request_id,
                patient_id=prescription.patient_id,
            )
        )
        return prescription
