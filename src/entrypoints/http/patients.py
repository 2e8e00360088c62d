"""HTTP routes of the patients capability: register, read, change, search, delete."""

from __future__ import annotations

from typing import Annotated, Any

from dishka.integrations.litestar import FromDishka
from litestar import Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from application.patients.create_patient import CreatePatient, CreatePatientCommand
from application.patients.delete_patient import DeletePatient, DeletePatientCommand
from application.patients.get_patient import GetPatient
from application.patients.search_patients import SearchPatients, SearchPatientsQuery
from application.patients.update_patient import UpdatePatient, UpdatePatientCommand
from domain.access import Actor
from entrypoints.http.clinics import etag, expected_version
from entrypoints.http.openapi import error_responses
from entrypoints.http.params import next_cursor, page_request, parse_uuid
from entrypoints.http.patient_schemas import (
    PatientIn,
    PatientMatchListOut,
    PatientMatchOut,
    PatientOut,
    PatientPatchIn,
)

TAGS = ["patients"]
BASE = "/clinics/{clinic_id:str}/patients"
ONE = f"{BASE}/{{patient_id:str}}"
IfMatch = Annotated[str | None, HeaderParameter(name="If-Match")]


def _with_etag(patient: PatientOut, status_code: int = 200, **headers: str) -> Response[PatientOut]:
    return Response(patient, status_code=status_code, headers={"ETag": etag(patient.version), **headers})


@post(BASE, status_code=201, tags=TAGS, responses=error_responses(401, 403, 404, 409, body=True))
async def create_patient(
    clinic_id: FromPath[str],
    data: JSONBody[PatientIn],
    actor: FromDishka[Actor],
    create: FromDishka[CreatePatient],
) -> Response[PatientOut]:
    """Register a patient (clinic admins, doctors, receptionists): finds or makes the person's
    user (so they can sign in with a one-time code), adds them as the clinic's patient and stores
    the record, encrypted. A phone or an email is required."""
    cid = parse_uuid(clinic_id, "clinicId")
    patient = await create(CreatePatientCommand(clinic_id=cid, fields=data.fields()), actor)
    location = f"/api/v1/clinics/{cid}/patients/{patient.id}"
    return _with_etag(PatientOut.of(patient), 201, Location=location)


@get(BASE, tags=TAGS, responses=error_responses(400, 401, 403))
async def search_patients(
    clinic_id: FromPath[str],
    actor: FromDishka[Actor],
    search: FromDishka[SearchPatients],
    phone: FromQuery[str | None] = None,
    email: FromQuery[str | None] = None,
    name: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
    cursor: FromQuery[str | None] = None,
) -> PatientMatchListOut:
    """Find patients by exact phone or email, or by name prefix (at least 3 letters); doctors and
    receptionists. Results carry identity only (id, name, date of birth); read a record by id."""
    cid = parse_uuid(clinic_id, "clinicId")
    scope = f"patients:{cid}"  # never the query itself: cursors travel in URLs and logs
    query = SearchPatientsQuery(
        clinic_id=cid, page=page_request(limit, cursor, scope), phone=phone, email=email, name=name
    )
    page = await search(query, actor)
    return PatientMatchListOut(
        items=[PatientMatchOut.of(m) for m in page.items], next_cursor=next_cursor(page, scope)
    )


def _ids(clinic_id: str, patient_id: str) -> dict[str, Any]:
    return {"clinic_id": parse_uuid(clinic_id, "clinicId"), "patient_id": parse_uuid(patient_id, "patientId")}


@get(ONE, tags=TAGS, responses=error_responses(400, 401, 403, 404))
async def get_patient(
    clinic_id: FromPath[str],
    patient_id: FromPath[str],
    actor: FromDishka[Actor],
    read: FromDishka[GetPatient],
) -> Response[PatientOut]:
    """A patient's record: the patient, or clinical staff under the patient's treatment consent
    (or a doctor's break-glass grant). Every read is audited."""
    ids = _ids(clinic_id, patient_id)
    return _with_etag(PatientOut.of(await read(ids["clinic_id"], ids["patient_id"], actor)))


@patch(ONE, tags=TAGS, responses=error_responses(401, 403, 404, 409, body=True))
async def update_patient(
    clinic_id: FromPath[str],
    patient_id: FromPath[str],
    data: JSONBody[PatientPatchIn],
    actor: FromDishka[Actor],
    update: FromDishka[UpdatePatient],
    if_match: IfMatch = None,
) -> Response[PatientOut]:
    """Change a record (the patient, or clinical staff under consent). Send the ETag as If-Match."""
    command = UpdatePatientCommand(
        **_ids(clinic_id, patient_id), changes=data.changes(), expected_version=expected_version(if_match)
    )
    return _with_etag(PatientOut.of(await update(command, actor)))


@delete(ONE, status_code=204, tags=TAGS, responses=error_responses(400, 401, 403, 404, 409))
async def delete_patient(
    clinic_id: FromPath[str],
    patient_id: FromPath[str],
    actor: FromDishka[Actor],
    remove: FromDishka[DeletePatient],
    if_match: IfMatch = None,
) -> None:
    """Delete a record (clinic admins): hidden at once, kept encrypted for the retention period,
    then purged by ``healthcare records purge``."""
    await remove(
        DeletePatientCommand(**_ids(clinic_id, patient_id), expected_version=expected_version(if_match)),
        actor,
    )


ROUTES: list[Any] = [create_patient, search_patients, get_patient, update_patient, delete_patient]
