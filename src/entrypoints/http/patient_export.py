"""The patient's right of access: everything the clinic holds about them, as one streamed JSON
document."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import TypeVar
from uuid import UUID

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import get
from litestar.params import FromPath
from litestar.response import Stream

from application.patients.export_patient_data import ExportPatientData, ExportPatientDataQuery, PatientExport
from domain.access import Actor
from domain.consent import EmergencyGrant
from entrypoints.http.appointment_schemas import AppointmentOut
from entrypoints.http.audit_schemas import AuditEntryOut
from entrypoints.http.consents import ConsentOut, EmergencyAccessOut
from entrypoints.http.openapi import error_responses
from entrypoints.http.params import parse_uuid
from entrypoints.http.patient_schemas import PatientOut
from entrypoints.http.prescription_schemas import PrescriptionOut
from entrypoints.http.schemas import Out

TAGS = ["patients"]
T = TypeVar("T")
_encode = msgspec.json.Encoder().encode


class EmergencyGrantOut(EmergencyAccessOut):
    """A break-glass grant as the export shows it: who was granted access, and why."""

    clinic_id: UUID
    granted_to: UUID
    reason: str

    @classmethod
    def of(cls, grant: EmergencyGrant) -> EmergencyGrantOut:
        return cls(
            id=grant.id,
            patient_id=grant.patient_id,
            granted_at=grant.granted_at,
            expires_at=grant.expires_at,
            clinic_id=grant.clinic_id,
            granted_to=grant.granted_to,
            reason=grant.reason,
        )


async def _array(
    name: str, pages: AsyncIterator[Sequence[T]], shown: Callable[[T], Out]
) -> AsyncIterator[bytes]:
    """``,"name":[...]``, one piece per page."""
    yield b',"' + name.encode() + b'":['
    separator = b""
    async for page in pages:
        yield separator + b",".join(_encode(shown(item)) for item in page)
        separator = b","
    yield b"]"


async def document(export: PatientExport) -> AsyncIterator[bytes]:
    """The export as JSON, in pieces: each page of a section is one piece."""
    yield b'{"format":' + _encode(export.format) + b',"exportedAt":' + _encode(export.exported_at)
    yield b',"patient":' + _encode(PatientOut.of(export.patient))
    time_zone = export.time_zone
    sections: tuple[AsyncIterator[bytes], ...] = (
        _array("appointments", export.appointments(), lambda a: AppointmentOut.of(a, time_zone)),
        _array("prescriptions", export.prescriptions(), PrescriptionOut.of),
        _array("consents", export.consents(), ConsentOut.of),
        _array("emergencyGrants", export.emergency_grants(), EmergencyGrantOut.of),
        _array("audit", export.audit(), AuditEntryOut.of),
    )
    for section in sections:
        async for piece in section:
            yield piece
    yield b"}"


@get(
    "/clinics/{clinic_id:str}/patients/{patient_id:str}/export",
    tags=TAGS,
    responses=error_responses(400, 401, 403, 404),
    media_type="application/json",
)
async def export_patient_data(
    clinic_id: FromPath[str],
    patient_id: FromPath[str],
    actor: FromDishka[Actor],
    export: FromDishka[ExportPatientData],
) -> Stream:
    """Everything the clinic holds about the patient, as one JSON document (the patient's right of
    access): the record, appointments (every status, with reasons), prescriptions (every
    version), consents (grants and revocations), break-glass grants, and the audit entries about
    them. The patient exports their own; a clinic admin any patient of the clinic. Audited as
    EXPORT_PATIENT_DATA before anything is sent; the body is streamed, so a large record never
    sits in memory. A failure mid-stream cuts the document short (it then does not parse)."""
    query = ExportPatientDataQuery(
        clinic_id=parse_uuid(clinic_id, "clinicId"), patient_id=parse_uuid(patient_id, "patientId")
    )
    opened = await export(query, actor)
    return Stream(
        document(opened),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="patient-{opened.patient.id}.json"',
            "Cache-Control": "no-store",
        },
    )


ROUTES = [export_patient_data]
