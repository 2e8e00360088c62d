"""Prescriptions over HTTP on the embedded profile: who issues and reads, versions, hashes, links."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from uuid import UUID

import pytest
from http_api import Api, assert_error, embedded_settings, open_api, production_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from test_sessions_api import sign_in

from adapters.security.document_links import HmacDocumentLinks
from application.ports.audit import AuditReader
from application.ports.clock import Clock
from application.ports.doctors import DoctorRepository
from application.ports.document_links import DocumentGrant
from application.ports.uow import UnitOfWork
from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from domain.doctors import Doctor
from domain.scheduling import WeeklyWindow
from entrypoints.bootstrap import as_system
from entrypoints.ioc.profiles import build_container
from entrypoints.observability.redaction import redact

BASE = "/api/v1/prescriptions"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    # PHI reads are buffered; a short interval lets the tests see them without waiting long.
    async for ready in open_api(embedded_settings(tmp_path, SECURITY_AUDIT_FLUSH_INTERVAL_MS="20")):
        yield ready


async def audited(api: Api, clinic_id: str, action: str, count: int) -> list[Any]:
    """The clinic's audit entries of ``action`` once there are ``count``, checked until a deadline
    (PHI reads are written by the audit buffer's next flush)."""
    deadline = time.monotonic() + 10
    while True:
        async with api.container() as request:
            entries = await (await request.get(AuditReader)).entries(clinic_id=UUID(clinic_id), limit=10_000)
        found = [e for e in entries if e.action == action]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"fewer than {count} {action} entries before the deadline"


@dataclass
class Clinic:
    id: str
    doctor: dict[str, str]
    patient_id: str
    patient: dict[str, str]
    desk: dict[str, str]
    other_patient: dict[str, str]
    other_patient_id: str


async def member(api: Api, clinic_id: str, email: str, role: str) -> str:
    user_id = await api.new_user(email)
    response = await api.client.post(
        f"/api/v1/clinics/{clinic_id}/members",
        json={"userId": user_id, "role": role},
        headers=await api.super_admin(),
    )
    assert response.status_code == 201, response.text
    return user_id


async def clinic(api: Api, cid: str | None = None) -> Clinic:
    cid = cid or await api.demo_clinic_id()
    await member(api, cid, "doc@example.com", "DOCTOR")
    patient_id = await member(api, cid, "pat@example.com", "PATIENT")
    other_patient_id = await member(api, cid, "other@example.com", "PATIENT")
    await member(api, cid, "desk@example.com", "RECEPTIONIST")
    patient = await api.auth("pat@example.com")
    consent = await api.client.post(
        f"/api/v1/clinics/{cid}/patients/{patient_id}/consents", json={"scope": "treatment"}, headers=patient
    )
    assert consent.status_code == 201, consent.text
    return Clinic(
        id=cid,
        doctor=await api.auth("doc@example.com"),
        patient_id=patient_id,
        patient=patient,
        desk=await api.auth("desk@example.com"),
        other_patient=await api.auth("other@example.com"),
        other_patient_id=other_patient_id,
    )


def body(c: Clinic, **changes: Any) -> dict[str, Any]:
    return {
        "clinicId": c.id,
        "patientId": c.patient_id,
        "medications": [
            {"name": "Amoxicillin", "dosage": "500 mg", "frequency": "3x daily", "durationDays": 7},
        ],
        "notes": "Review in a week",
    } | changes


def correction(dosage: str) -> dict[str, Any]:
    return {
        "medications": [{"name": "Amoxicillin", "dosage": dosage, "frequency": "daily", "durationDays": 5}]
    }


async def engine_of(api: Api) -> AsyncEngine:
    return await api.container.get(AsyncEngine)


async def test_a_doctor_issues_and_the_patient_reads_it(api: Api) -> None:
    c = await clinic(api)
    issued = await api.client.post(BASE, json=body(c), headers=c.doctor)
    assert issued.status_code == 201, issued.text
    p = issued.json()
    assert issued.headers["location"] == f"{BASE}/{p['id']}"
    assert (p["version"], p["lineageId"], p["supersedes"], p["supersededBy"]) == (1, p["id"], None, None)
    assert p["medications"] == [
        {
            "name": "Amoxicillin",
            "dosage": "500 mg",
            "frequency": "3x daily",
            "durationDays": 7,
            "instructions": None,
        }
    ]
    assert p["document"]["url"].startswith(f"{BASE}/{p['id']}/document?token=")
    own = await api.client.get(f"{BASE}/{p['id']}", headers=c.patient)
    assert own.status_code == 200
    assert {k: v for k, v in p.items() if k != "document"} == own.json()
    assert (await api.client.get(f"{BASE}/{p['id']}", headers=c.doctor)).status_code == 200

    listed = await api.client.get(BASE, params={"clinicId": c.id}, headers=c.patient)
    assert [item["id"] for item in listed.json()["items"]] == [p["id"]]
    staff_list = await api.client.get(
        BASE, params={"clinicId": c.id, "patientId": c.patient_id}, headers=c.doctor
    )
    assert [item["id"] for item in staff_list.json()["items"]] == [p["id"]]

    issued_entries = await audited(api, c.id, "ISSUE_PRESCRIPTION", 1)
    assert [(e.resource_type, e.resource_id, str(e.patient_id)) for e in issued_entries] == [
        ("prescription", p["id"], c.patient_id)
    ]
    reads = await audited(api, c.id, "VIEW_PRESCRIPTION", 4)  # two reads, two list pages
    assert sorted((e.resource_type, e.resource_id) for e in reads) == sorted(
        [("prescription", p["id"])] * 2 + [("patient", c.patient_id)] * 2
    )

    async with (await engine_of(api)).connect() as connection:
        events = (await connection.execute(text("SELECT kind, subject_id, data FROM domain_events"))).all()
        sealed = (await connection.execute(text("SELECT content_sealed FROM prescriptions"))).scalar_one()
    assert [(kind, UUID(str(subject))) for kind, subject, _ in events] == [
        ("prescription.issued", UUID(p["id"]))
    ]
    assert "Amoxicillin" not in str(events[0][2]) and b"Amoxicillin" not in bytes(sealed)


async def test_only_doctors_issue_and_strangers_see_nothing(api: Api) -> None:
    c = await clinic(api)
    assert_error(await api.client.post(BASE, json=body(c), headers=c.desk), 403, "INSUFFICIENT_PERMISSIONS")
    assert_error(await api.client.post(BASE, json=body(c), headers=c.patient), 404, "PATIENT_NOT_FOUND")
    assert_error(await api.client.post(BASE, json=body(c), headers={}), 401, "INVALID_CREDENTIALS")
    p = (await api.client.post(BASE, json=body(c), headers=c.doctor)).json()
    assert_error(await api.client.get(f"{BASE}/{p['id']}", headers=c.desk), 403, "INSUFFICIENT_PERMISSIONS")
    assert_error(
        await api.client.get(f"{BASE}/{p['id']}", headers=c.other_patient), 404, "PRESCRIPTION_NOT_FOUND"
    )

    other = await api.client.post(
        "/api/v1/clinics", json={"name": "Elsewhere", "timeZone": "UTC"}, headers=await api.super_admin()
    )
    await member(api, other.json()["id"], "doc@elsewhere.example", "DOCTOR")
    outsider = await api.auth("doc@elsewhere.example")
    for path in (f"{BASE}/{p['id']}", f"{BASE}/{p['id']}/verify"):
        assert_error(await api.client.get(path, headers=outsider), 404, "PRESCRIPTION_NOT_FOUND")
    assert_error(
        await api.client.post(f"{BASE}/{p['id']}/corrections", json=correction("1 mg"), headers=outsider),
        404,
        "PRESCRIPTION_NOT_FOUND",
    )
    assert_error(
        await api.client.get(BASE, params={"clinicId": c.id, "patientId": c.patient_id}, headers=outsider),
        404,
        "PATIENT_NOT_FOUND",
    )


async def test_validation_names_fields_and_unknown_fields_are_refused(api: Api) -> None:
    c = await clinic(api)
    meds = [{"name": "A", "dosage": "", "frequency": "daily", "durationDays": 0}]
    error = assert_error(
        await api.client.post(BASE, json=body(c, medications=meds), headers=c.doctor), 400, "VALIDATION_ERROR"
    )
    assert error["details"] == {
        "medications[0].dosage": "expected 1 to 100 characters",
        "medications[0].durationDays": "expected a whole number of days from 1 to 365",
    }
    too_many = body(c)["medications"] * 21
    error = assert_error(
        await api.client.post(BASE, json=body(c, medications=too_many), headers=c.doctor),
        400,
        "VALIDATION_ERROR",
    )
    assert error["details"] == {"medications": "expected 1 to 20 medications"}
    for extra in ({"prescriberId": c.patient_id}, {"version": 3}):
        assert_error(
            await api.client.post(BASE, json=body(c, **extra), headers=c.doctor), 400, "VALIDATION_ERROR"
        )
    assert_error(
        await api.client.get(BASE, params={"clinicId": c.id}, headers=c.doctor), 400, "VALIDATION_ERROR"
    )


async def test_an_idempotent_retry_returns_the_first_result(api: Api) -> None:
    c = await clinic(api)
    key = {"Idempotency-Key": "rx-retry-0001"}
    first = await api.client.post(BASE, json=body(c), headers=c.doctor | key)
    again = await api.client.post(BASE, json=body(c), headers=c.doctor | key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    reused = await api.client.post(BASE, json=body(c, notes="Another"), headers=c.doctor | key)
    assert_error(reused, 409, "IDEMPOTENCY_KEY_REUSED")
    assert_error(
        await api.client.post(BASE, json=body(c), headers=c.doctor | {"Idempotency-Key": "x" * 300}),
        400,
        "VALIDATION_ERROR",
    )
    listed = await api.client.get(BASE, params={"clinicId": c.id}, headers=c.patient)
    assert [item["id"] for item in listed.json()["items"]] == [first.json()["id"]]
    async with (await engine_of(api)).connect() as connection:
        events = (await connection.execute(text("SELECT count(*) FROM domain_events"))).scalar_one()
        keys = (await connection.execute(text("SELECT response_sealed FROM idempotency_keys"))).all()
    assert events == 1 and len(keys) == 1
    assert first.json()["document"]["url"].split("token=")[1].encode() not in bytes(keys[0][0])


async def test_corrections_chain_versions_and_the_superseded_stays_readable(api: Api) -> None:
    c = await clinic(api)
    first = (await api.client.post(BASE, json=body(c), headers=c.doctor)).json()
    second = await api.client.post(
        f"{BASE}/{first['id']}/corrections", json=correction("250 mg"), headers=c.doctor
    )
    assert second.status_code == 201, second.text
    v2 = second.json()
    assert (v2["version"], v2["lineageId"], v2["supersedes"]) == (2, first["id"], first["id"])
    assert v2["medications"][0]["dosage"] == "250 mg"
    old = (await api.client.get(f"{BASE}/{first['id']}", headers=c.patient)).json()
    assert old["supersededBy"] == v2["id"] and old["medications"][0]["dosage"] == "500 mg"
    assert_error(
        await api.client.post(f"{BASE}/{first['id']}/corrections", json=correction("1 mg"), headers=c.doctor),
        409,
        "PRESCRIPTION_SUPERSEDED",
    )
    assert_error(
        await api.client.post(f"{BASE}/{v2['id']}/corrections", json=correction("1 mg"), headers=c.desk),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    for version in (first, v2):
        verdict = (await api.client.get(f"{BASE}/{version['id']}/verify", headers=c.patient)).json()
        assert verdict["valid"] is True and verdict["algorithm"] == "sha256"
    listed = await api.client.get(BASE, params={"clinicId": c.id, "limit": 1}, headers=c.patient)
    page = listed.json()
    assert [i["id"] for i in page["items"]] == [first["id"]] and page["nextCursor"]
    rest = await api.client.get(
        BASE, params={"clinicId": c.id, "limit": 1, "cursor": page["nextCursor"]}, headers=c.patient
    )
    assert [i["id"] for i in rest.json()["items"]] == [v2["id"]] and rest.json()["nextCursor"] is None
    foreign = await api.client.get(
        BASE,
        params={"clinicId": c.id, "patientId": c.other_patient_id, "cursor": page["nextCursor"]},
        headers=c.doctor,
    )
    assert_error(foreign, 400, "VALIDATION_ERROR")  # a cursor is bound to the list it came from


@pytest.mark.parametrize("column", ["content_hash", "content_sealed", "patient_id"])
async def test_verify_is_false_once_the_stored_row_is_tampered_with(api: Api, column: str) -> None:
    c = await clinic(api)
    p = (await api.client.post(BASE, json=body(c), headers=c.doctor)).json()
    before = (await api.client.get(f"{BASE}/{p['id']}/verify", headers=c.doctor)).json()
    assert before["valid"] is True and len(before["contentHash"]) == 64
    values = {
        "content_hash": "0" * 64,
        # Another row's sealed content does not open under this row's context.
        "content_sealed": None,
        # One hex digit changed (to another digit than it was: the same one would change nothing).
        "patient_id": UUID(c.patient_id).hex[:-1] + ("1" if UUID(c.patient_id).hex.endswith("0") else "0"),
    }
    async with (await engine_of(api)).begin() as connection:
        if column == "content_sealed":
            other = (await api.client.post(BASE, json=body(c, notes="Other"), headers=c.doctor)).json()
            await connection.execute(
                text(
                    "UPDATE prescriptions SET content_sealed = "
                    "(SELECT content_sealed FROM prescriptions WHERE id = :other) WHERE id = :id"
                ),
                {"other": UUID(other["id"]).hex, "id": UUID(p["id"]).hex},
            )
        else:
            await connection.execute(
                text(f"UPDATE prescriptions SET {column} = :value WHERE id = :id"),
                {"value": values[column], "id": UUID(p["id"]).hex},
            )
    after = await api.client.get(f"{BASE}/{p['id']}/verify", headers=c.doctor)
    assert after.status_code == 200, after.text
    assert after.json()["valid"] is False
    assert after.json()["contentHash"] == ("0" * 64 if column == "content_hash" else before["contentHash"])


async def test_the_signed_link_renders_the_document_without_a_session(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    c = await clinic(api)
    p = (
        await api.client.post(BASE, json=body(c, notes="<script>alert(1)</script> & rest"), headers=c.doctor)
    ).json()
    url = p["document"]["url"]
    token = parse_qs(urlparse(url).query)["token"][0]
    assert p["id"] not in token and "Amoxicillin" not in token
    caplog.set_level(logging.DEBUG)
    page = await api.client.get(url)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Amoxicillin" in page.text and "500 mg" in page.text
    assert "<script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; rest" in page.text
    assert all(token not in redact(record.getMessage()) for record in caplog.records)
    assert token not in redact(f'"GET {url} HTTP/1.1" 200')

    link_reads = await audited(api, c.id, "VIEW_PRESCRIPTION_SIGNED_LINK", 1)
    assert [(e.actor_id, e.resource_id, str(e.patient_id)) for e in link_reads] == [
        (None, p["id"], c.patient_id)
    ]

    other = (await api.client.post(BASE, json=body(c), headers=c.doctor)).json()
    links = HmacDocumentLinks(api.settings.jwt.secret.encode())
    expired = links.sign(
        DocumentGrant(
            prescription_id=UUID(p["id"]),
            clinic_id=UUID(c.id),
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
    )
    forged = HmacDocumentLinks(b"not-our-secret").sign(
        DocumentGrant(
            prescription_id=UUID(p["id"]),
            clinic_id=UUID(c.id),
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
    )
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (
        f"{BASE}/{p['id']}/document?token={expired}",
        f"{BASE}/{p['id']}/document?token={forged}",
        f"{BASE}/{p['id']}/document?token={flipped}",
        f"{BASE}/{other['id']}/document?token={token}",  # another prescription's link
        f"{BASE}/{p['id']}/document",
        f"{BASE}/not-a-uuid/document?token={token}",
    ):
        response = await api.client.get(bad)
        assert_error(response, 401, "DOCUMENT_LINK_INVALID")
        assert response.headers["content-type"].startswith("application/json")


async def test_an_appointment_named_must_be_of_that_clinic_and_patient(api: Api) -> None:
    c = await clinic(api)
    root = await api.super_admin()
    location = (await api.client.get(f"/api/v1/clinics/{c.id}/locations", headers=root)).json()["items"][0][
        "id"
    ]
    doctor = await member(api, c.id, "gp@example.com", "DOCTOR")
    async with api.container() as request:
        await as_system(request)
        now = (await request.get(Clock)).now()
        hours = tuple(WeeklyWindow(d, clock_time(6), clock_time(22), UUID(location)) for d in range(7))
        await (await request.get(DoctorRepository)).add(
            Doctor(
                id=UUID(doctor),
                clinic_id=UUID(c.id),
                specialty="GP",
                licence_number="L-1",
                hours=hours,
                created_at=now,
                updated_at=now,
            )
        )
        await (await request.get(UnitOfWork)).commit()
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)

    async def book(patient_id: str, hour: int) -> str:
        booked = await api.client.post(
            "/api/v1/appointments",
            json={
                "clinicId": c.id,
                "locationId": location,
                "doctorId": doctor,
                "patientId": patient_id,
                "startsAt": (day + timedelta(hours=hour)).isoformat().replace("+00:00", "Z"),
                "durationMinutes": 30,
            },
            headers=c.desk,
        )
        assert booked.status_code == 201, booked.text
        return str(booked.json()["id"])

    own, others = await book(c.patient_id, 10), await book(c.other_patient_id, 11)
    for wrong in (others, "01900000-0000-7000-8000-000000000000"):
        assert_error(
            await api.client.post(BASE, json=body(c, appointmentId=wrong), headers=c.doctor),
            404,
            "APPOINTMENT_NOT_FOUND",
        )
    issued = await api.client.post(BASE, json=body(c, appointmentId=own), headers=c.doctor)
    assert issued.status_code == 201, issued.text
    assert issued.json()["appointmentId"] == own


@pytest.mark.postgres
async def test_on_postgresql_under_row_level_security(tmp_path: Path) -> None:
    """The production profile: rows walled by clinic, the link opening its own clinic only."""
    async with production_database(tmp_path, SECURITY_AUDIT_FLUSH_INTERVAL_MS="20") as settings:
        setup = build_container(settings)  # pooled connections belong to the loop that opened them
        try:
            async for api in open_api(settings):
                await _on_postgresql(api, setup)
        finally:
            await setup.close()


async def _on_postgresql(api: Api, setup: Any) -> None:
    async def bearer(email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {(await sign_in(api, email, setup)).access_token}"}

    async with setup() as request:
        await as_system(request)
        await (await request.get(CreateSuperAdmin))(
            CreateSuperAdminCommand(email="ops@example.com", name="Ops")
        )
    root = await bearer("ops@example.com")
    cid = (
        await api.client.post("/api/v1/clinics", json={"name": "A", "timeZone": "UTC"}, headers=root)
    ).json()["id"]
    ids = {}
    for email, role in (("doc@a.example", "DOCTOR"), ("pat@a.example", "PATIENT")):
        user = await api.client.post("/api/v1/users", json={"name": "Someone", "email": email}, headers=root)
        ids[role] = user.json()["id"]
        joined = await api.client.post(
            f"/api/v1/clinics/{cid}/members", json={"userId": ids[role], "role": role}, headers=root
        )
        assert joined.status_code == 201, joined.text
    doctor, patient = await bearer("doc@a.example"), await bearer("pat@a.example")
    consent = await api.client.post(
        f"/api/v1/clinics/{cid}/patients/{ids['PATIENT']}/consents",
        json={"scope": "treatment"},
        headers=patient,
    )
    assert consent.status_code == 201, consent.text
    request_body = {
        "clinicId": cid,
        "patientId": ids["PATIENT"],
        "medications": [{"name": "Amoxicillin", "dosage": "500 mg", "frequency": "daily", "durationDays": 7}],
    }
    key = {"Idempotency-Key": "pg-retry-1"}
    first = await api.client.post(BASE, json=request_body, headers=doctor | key)
    assert first.status_code == 201, first.text
    again = await api.client.post(BASE, json=request_body, headers=doctor | key)
    assert again.json() == first.json()
    p = first.json()
    fixed = await api.client.post(f"{BASE}/{p['id']}/corrections", json=correction("250 mg"), headers=doctor)
    assert fixed.status_code == 201, fixed.text
    assert_error(
        await api.client.post(f"{BASE}/{p['id']}/corrections", json=correction("1 mg"), headers=doctor),
        409,
        "PRESCRIPTION_SUPERSEDED",
    )
    read = await api.client.get(f"{BASE}/{p['id']}", headers=patient)
    assert read.status_code == 200 and read.json()["supersededBy"] == fixed.json()["id"]
    assert (await api.client.get(f"{BASE}/{p['id']}/verify", headers=patient)).json()["valid"] is True
    page = await api.client.get(p["document"]["url"])  # no session: the link opens its clinic alone
    assert page.status_code == 200 and "Amoxicillin" in page.text
