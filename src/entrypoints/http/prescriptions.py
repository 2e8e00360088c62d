"""HTTP routes of the prescriptions capability."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from dishka.integrations.litestar import FromDishka
from litestar import MediaType, Request, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from application.prescriptions.common import DocumentLink
from application.prescriptions.correct_prescription import CorrectPrescription, CorrectPrescriptionCommand
from application.prescriptions.get_prescription import GetPrescription
from application.prescriptions.issue_prescription import (
    IssuedPrescription,
    IssuePrescription,
    IssuePrescriptionCommand,
)
from application.prescriptions.list_prescriptions import ListPrescriptions, ListPrescriptionsQuery
from application.prescriptions.open_prescription_document import OpenDocumentQuery, OpenPrescriptionDocument
from application.prescriptions.verify_prescription import VerifyPrescription
from domain.access import Actor
from domain.errors import DocumentLinkInvalid
from entrypoints.http.openapi import error_responses
from entrypoints.http.params import next_cursor, page_request, parse_uuid
from entrypoints.http.prescription_schemas import (
    CorrectionIn,
    DocumentLinkOut,
    IssuedPrescriptionOut,
    PrescriptionIn,
    PrescriptionListOut,
    PrescriptionOut,
    PrescriptionVerificationOut,
    document_page,
)
from entrypoints.http.request_context import request_id_of

TAGS = ["prescriptions"]
REPLAYED = "Idempotent-Replayed"  # as on bookings: this answer is the first one, replayed
BASE = "/prescriptions"
DOCUMENT_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}


def _link_out(prescription_id: UUID, link: DocumentLink) -> DocumentLinkOut:
    return DocumentLinkOut(
        url=f"/api/v1/prescriptions/{prescription_id}/document?token={link.token}", expires_at=link.expires_at
    )


def _created(issued: IssuedPrescription) -> Response[IssuedPrescriptionOut]:
    p = issued.prescription
    body = IssuedPrescriptionOut(
        **PrescriptionOut.fields_of(p),  # type: ignore[arg-type]
        document=_link_out(p.id, issued.link),
    )
    headers = {"Location": f"/api/v1/prescriptions/{p.id}"}
    if issued.replayed:
        headers[REPLAYED] = "true"
    return Response(body, status_code=201, headers=headers)


@post(BASE, status_code=201, tags=TAGS, responses=error_responses(401, 403, 404, 409, body=True))
async def issue_prescription(
    data: JSONBody[PrescriptionIn],
    actor: FromDishka[Actor],
    issue: FromDishka[IssuePrescription],
    idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
) -> Response[IssuedPrescriptionOut]:
    """Issue a prescription (doctors, with a PHI basis for the patient). With an Idempotency-Key
    the same request within 24 h answers the first result again (201); another body under the
    key is 409 IDEMPOTENCY_KEY_REUSED. The answer carries a signed, expiring document link."""
    command = IssuePrescriptionCommand(
        clinic_id=data.clinic_id,
        patient_id=data.patient_id,
        appointment_id=data.appointment_id,
        medications=tuple(m.line() for m in data.medications),
        notes=data.notes,
        idempotency_key=idempotency_key,
    )
    return _created(await issue(command, actor))


@post(
    f"{BASE}/{{prescription_id:str}}/corrections",
    status_code=201,
    tags=TAGS,
    responses=error_responses(401, 403, 404, 409, body=True),
)
async def correct_prescription(
    prescription_id: FromPath[str],
    data: JSONBody[CorrectionIn],
    actor: FromDishka[Actor],
    correct: FromDishka[CorrectPrescription],
) -> Response[IssuedPrescriptionOut]:
    """Issue the next version, superseding this one (409 PRESCRIPTION_SUPERSEDED when this one
    was already corrected). Both versions stay readable."""
    command = CorrectPrescriptionCommand(
        prescription_id=parse_uuid(prescription_id, "prescriptionId"),
        appointment_id=data.appointment_id,
        medications=tuple(m.line() for m in data.medications),
        notes=data.notes,
    )
    return _created(await correct(command, actor))


@get(f"{BASE}/{{prescription_id:str}}", tags=TAGS, responses=error_responses(400, 401, 403, 404))
async def get_prescription(
    prescription_id: FromPath[str], actor: FromDishka[Actor], read: FromDishka[GetPrescription]
) -> PrescriptionOut:
    """One version, superseded or not (the patient's own, or a doctor's with a PHI basis)."""
    return PrescriptionOut.of(await read(parse_uuid(prescription_id, "prescriptionId"), actor))


@get(BASE, tags=TAGS, responses=error_responses(400, 401, 403, 404))
async def list_prescriptions(
    actor: FromDishka[Actor],
    list_all: FromDishka[ListPrescriptions],
    clinic_id: Annotated[str, QueryParameter(name="clinicId")],
    patient_id: Annotated[str | None, QueryParameter(name="patientId")] = None,
    limit: FromQuery[int | None] = None,
    cursor: FromQuery[str | None] = None,
) -> PrescriptionListOut:
    """Every version of one patient's prescriptions in a clinic, by id (a patient: their own)."""
    cid = parse_uuid(clinic_id, "clinicId")
    pid = parse_uuid(patient_id, "patientId") if patient_id is not None else None
    scope = f"prescriptions:{cid}:{pid or actor.user_id}"
    query = ListPrescriptionsQuery(clinic_id=cid, patient_id=pid, page=page_request(limit, cursor, scope))
    page = await list_all(query, actor)
    return PrescriptionListOut(
        items=[PrescriptionOut.of(p) for p in page.items], next_cursor=next_cursor(page, scope)
    )


@get(f"{BASE}/{{prescription_id:str}}/verify", tags=TAGS, responses=error_responses(400, 401, 403, 404))
async def verify_prescription(
    prescription_id: FromPath[str], actor: FromDishka[Actor], verify: FromDishka[VerifyPrescription]
) -> PrescriptionVerificationOut:
    """Whether the stored version still matches its SHA-256 content hash."""
    verdict = await verify(parse_uuid(prescription_id, "prescriptionId"), actor)
    return PrescriptionVerificationOut(
        id=verdict.prescription_id,
        valid=verdict.valid,
        content_hash=verdict.content_hash,
        algorithm=verdict.algorithm,
    )


@get(
    f"{BASE}/{{prescription_id:str}}/document",
    tags=TAGS,
    media_type=MediaType.HTML,
    responses=error_responses(401),
)
async def prescription_document(
    request: Request[Any, Any, Any],
    prescription_id: FromPath[str],
    open_document: FromDishka[OpenPrescriptionDocument],
    token: FromQuery[str | None] = None,
) -> Response[str]:
    """The prescription as an HTML page, through its signed link, without a session; a bad,
    expired or foreign token is 401 DOCUMENT_LINK_INVALID."""
    try:
        pid = UUID(prescription_id)
    except ValueError:
        raise DocumentLinkInvalid() from None
    if not token:
        raise DocumentLinkInvalid()
    prescription = await open_document(
        OpenDocumentQuery(prescription_id=pid, token=token, request_id=request_id_of(request.scope))
    )
    return Response(document_page(prescription), media_type=MediaType.HTML, headers=DOCUMENT_HEADERS)


ROUTES: list[Any] = [
    issue_prescription,
    correct_prescription,
    get_prescription,
    list_prescriptions,
    verify_prescription,
    prescription_document,
]
