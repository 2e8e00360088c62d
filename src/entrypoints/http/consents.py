"""Routes for a patient's consents and for break-glass access."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import Response, delete, get, post
from litestar.params import FromPath, JSONBody

from application.consent.list_consents import ListConsents
from application.consent.record_consent import RecordConsent, RecordConsentCommand
from application.consent.request_emergency_access import RequestEmergencyAccess, RequestEmergencyAccessCommand
from application.consent.revoke_consent import RevokeConsent
from domain.access import Actor
from domain.consent import ConsentRecord
from entrypoints.http.openapi import error_responses
from entrypoints.http.params import parse_uuid
from entrypoints.http.schemas import In, Out

TAGS = ["consent"]
BASE = "/clinics/{clinic_id:str}/patients/{patient_id:str}"


class ConsentIn(In):
    scope: str
    expires_at: datetime | None = None


class ConsentOut(Out):
    id: UUID
    clinic_id: UUID
    patient_id: UUID
    scope: str
    recorded_at: datetime
    recorded_by: UUID
    expires_at: datetime | None
    revokes: UUID | None

    @classmethod
    def of(cls, record: ConsentRecord) -> ConsentOut:
        return cls(
            id=record.id,
            clinic_id=record.clinic_id,
            patient_id=record.patient_id,
            scope=record.scope.value,
            recorded_at=record.recorded_at,
            recorded_by=record.recorded_by,
            expires_at=record.expires_at,
            revokes=record.revokes,
        )


class ConsentListOut(Out):
    items: list[ConsentOut]


class EmergencyAccessIn(In):
    reason: str
    minutes: int = 60


class EmergencyAccessOut(Out):
    id: UUID
    patient_id: UUID
    granted_at: datetime
    expires_at: datetime


def _ids(clinic_id: str, patient_id: str) -> tuple[UUID, UUID]:
    return parse_uuid(clinic_id, "clinicId"), parse_uuid(patient_id, "patientId")


@post(f"{BASE}/consents", status_code=201, tags=TAGS, responses=error_responses(401, 403, 404, body=True))
async def record_consent(
    clinic_id: FromPath[str],
    patient_id: FromPath[str],
    data: JSONBody[ConsentIn],
    actor: FromDishka[Actor],
    record: FromDishka[RecordConsent],
) -> Response[ConsentOut]:
    """Record a consent (the patient, or clinic staff); the history keeps every record."""
    cid, pid = _ids(clinic_id, patient_id)
    created = await record(
        RecordConsentCommand(clinic_id=cid, patient_id=pid, scope=data.scope, expires_at=data.expires_at),
        actor,
    )
    location = f"/api/v1/clinics/{cid}/patients/{pid}/consents"
    return Response(ConsentOut.of(created), status_code=201, headers={"Location": location})


@get(f"{BASE}/consents", tags=TAGS, responses=error_responses(400, 401, 403, 404))
async def list_consents(
    clinic_id: FromPath[str],
    patient_id: FromPath[str],
    actor: FromDishka[Actor],
    history: FromDishka[ListConsents],
) -> ConsentListOut:
    """The patient's consent history, grants and revocations, oldest first."""
    cid, pid = _ids(clinic_id, patient_id)
    return ConsentListOut(items=[ConsentOut.of(r) for r in await history(cid, pid, actor)])


@delete(
    f"{BASE}/consents/{{consent_id:str}}",
    status_code=200,
    tags=TAGS,
    responses=error_responses(400, 401, 403, 404),
)
async def revoke_consent(
    clinic_id: FromPath[str],
    patient_id: FromPath[str],
    consent_id: FromPath[str],
    actor: FromDishka[Actor],
    revoke: FromDishka[RevokeConsent],
) -> ConsentOut:
    """Revoke a consent: answers with the revocation record (the grant stays in the history)."""
    cid, pid = _ids(clinic_id, patient_id)
    return ConsentOut.of(await revoke(cid, pid, parse_uuid(consent_id, "consentId"), actor))


@post(
    f"{BASE}/emergency-access",
    status_code=201,
    tags=TAGS,
    responses=error_responses(401, 403, 404, body=True),
)
async def emergency_access(
    clinic_id: FromPath[str],
    patient_id: FromPath[str],
    data: JSONBody[EmergencyAccessIn],
    actor: FromDishka[Actor],
    grant: FromDishka[RequestEmergencyAccess],
) -> EmergencyAccessOut:
    """Break-glass for a doctor of the clinic: at most 60 minutes, audited, ends by itself."""
    cid, pid = _ids(clinic_id, patient_id)
    opened = await grant(
        RequestEmergencyAccessCommand(
            clinic_id=cid, patient_id=pid, reason=data.reason, minutes=data.minutes
        ),
        actor,
    )
    return EmergencyAccessOut(
        id=opened.id, patient_id=opened.patient_id, granted_at=opened.granted_at, expires_at=opened.expires_at
    )


ROUTES = [record_consent, list_consents, revoke_consent, emergency_access]
