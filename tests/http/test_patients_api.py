"""Patients' records over HTTP: who may register, read, change, find and delete them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from uuid import UUID

from http_api import Api, assert_error, open_api, production_database

BASE = "/api/v1/clinics"
ANA = {
    "name": "Ana García",
    "dateOfBirth": "1980-04-02",
    "phone": "+34 600 000 001",
    "email": "ana@example.com",
    "address": "Calle Mayor 1",
    "emergencyContact": {"name": "Luis García", "phone": "+34600000099", "relationship": "brother"},
    "allergies": ["latex"],
    "notes": "Asthmatic",
}


async def member(api: Api, clinic_id: str, email: str, role: str) -> dict[str, str]:
    user_id = await api.new_user(email)
    response = await api.client.post(
        f"{BASE}/{clinic_id}/members", json={"userId": user_id, "role": role}, headers=await api.super_admin()
    )
    assert response.status_code == 201, response.text
    return await api.auth(email)


async def register(api: Api, clinic: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await api.client.post(f"{BASE}/{clinic}/patients", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/api/v1/clinics/{clinic}/patients/{created['id']}"
    assert response.headers["etag"] == '"1"'
    return created


async def other_clinic(api: Api) -> str:
    response = await api.client.post(
        BASE, json={"name": "Elsewhere", "timeZone": "UTC"}, headers=await api.super_admin()
    )
    return str(response.json()["id"])


async def test_registering_and_reading_follow_the_policy(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    desk = await member(api, clinic, "desk@example.com", "RECEPTIONIST")
    doctor = await member(api, clinic, "doc@example.com", "DOCTOR")
    admin = await api.demo_clinic_admin()
    created = await register(api, clinic, desk, ANA)
    assert created["phone"] == "+34600000001" and created["emergencyContact"]["relationship"] == "brother"
    url = f"{BASE}/{clinic}/patients/{created['id']}"

    # The patient signs in with the email of the record (a user was made for them) and reads it.
    own = await api.auth("ana@example.com")
    mine = await api.client.get(url, headers=own)
    assert mine.status_code == 200 and mine.json() == created and mine.headers["etag"] == '"1"'
    # Staff read only under the patient's treatment consent; admins never read records.
    assert_error(await api.client.get(url, headers=doctor), 403, "CONSENT_EXPIRED")
    assert_error(await api.client.get(url, headers=admin), 403, "INSUFFICIENT_PERMISSIONS")
    consent = await api.client.post(f"{url}/consents", json={"scope": "treatment"}, headers=own)
    assert consent.status_code == 201, consent.text
    assert (await api.client.get(url, headers=doctor)).json()["notes"] == "Asthmatic"

    # Other patients, outsiders, a super admin without a clinical role: not found.
    other = await register(
        api, clinic, desk, {"name": "Bo Li", "dateOfBirth": "1990-01-01", "phone": "+34600000002"}
    )
    assert_error(
        await api.client.get(f"{BASE}/{clinic}/patients/{other['id']}", headers=own), 404, "PATIENT_NOT_FOUND"
    )
    elsewhere = await other_clinic(api)
    outsider = await member(api, elsewhere, "admin@elsewhere.example", "CLINIC_ADMIN")
    assert_error(await api.client.get(url, headers=outsider), 404, "PATIENT_NOT_FOUND")
    assert_error(await api.client.get(url, headers=await api.super_admin()), 404, "PATIENT_NOT_FOUND")
    # A patient of another clinic, asked for under this clinic: not found.
    foreign_desk = await member(api, elsewhere, "desk@elsewhere.example", "RECEPTIONIST")
    foreign = await register(
        api, elsewhere, foreign_desk, {"name": "Cy", "dateOfBirth": "1999-09-09", "phone": "+34600000003"}
    )
    assert_error(
        await api.client.get(f"{BASE}/{clinic}/patients/{foreign['id']}", headers=doctor),
        404,
        "PATIENT_NOT_FOUND",
    )
    # Registering: patients and outsiders may not.
    assert_error(
        await api.client.post(f"{BASE}/{clinic}/patients", json=ANA, headers=own),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    assert_error(
        await api.client.post(f"{BASE}/{clinic}/patients", json=ANA, headers=outsider),
        403,
        "CLINIC_ACCESS_DENIED",
    )
    assert_error(
        await api.client.post(f"{BASE}/{clinic}/patients", json=ANA, headers=desk),
        409,
        "PATIENT_ALREADY_EXISTS",
    )

    # Every read is audited with its basis, and the refusals as DENIED.
    await audited(
        api,
        clinic,
        created["id"],
        {
            ("CREATE_PATIENT", "SUCCESS"),
            ("VIEW_PATIENT_SELF", "SUCCESS"),
            ("VIEW_PATIENT_CONSENT", "SUCCESS"),
            ("VIEW_PATIENT", "DENIED"),
        },
    )


async def audited(api: Api, clinic: str, resource_id: str, wanted: set[tuple[str, str]]) -> None:
    """Wait (with a deadline) until the clinic's trail holds ``wanted`` about the resource: PHI
    reads are written by the audit buffer's next flush."""
    from application.ports.audit import AuditReader

    deadline = time.monotonic() + 10
    while True:
        async with api.container() as request:
            entries = await (await request.get(AuditReader)).entries(clinic_id=UUID(clinic), limit=500)
        seen = {(e.action, e.outcome.value) for e in entries if e.resource_id == resource_id}
        if wanted <= seen:
            return
        assert time.monotonic() < deadline, f"missing audit entries: {wanted - seen}"


async def test_bodies_are_validated_field_by_field(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    desk = await member(api, clinic, "desk@example.com", "RECEPTIONIST")
    url = f"{BASE}/{clinic}/patients"
    error = assert_error(
        await api.client.post(url, json={**ANA, "ssn": "123"}, headers=desk), 400, "VALIDATION_ERROR"
    )
    assert error["details"]
    error = assert_error(
        await api.client.post(
            url,
            json={
                "name": "",
                "dateOfBirth": "2999-01-01",
                "email": "nope",
                "emergencyContact": {"name": "Mum", "phone": "12"},
                "allergies": ["x" * 201],
                "notes": "n" * 5001,
            },
            headers=desk,
        ),
        400,
        "VALIDATION_ERROR",
    )
    assert set(error["details"]) == {
        "name",
        "dateOfBirth",
        "email",
        "emergencyContact.phone",
        "allergies[0]",
        "notes",
    }
    error = assert_error(
        await api.client.post(url, json={"name": "No Contact", "dateOfBirth": "1980-01-01"}, headers=desk),
        400,
        "VALIDATION_ERROR",
    )
    assert set(error["details"]) == {"phone"}
    error = assert_error(
        await api.client.post(url, json={"name": "No Birth"}, headers=desk), 400, "VALIDATION_ERROR"
    )
    assert "dateOfBirth" in str(error["details"])


async def test_search_by_phone_email_and_name_prefix(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    desk = await member(api, clinic, "desk@example.com", "RECEPTIONIST")
    ana = await register(api, clinic, desk, ANA)
    anabel = await register(
        api, clinic, desk, {"name": "Anabel Ruiz", "dateOfBirth": "1991-05-05", "phone": "+34600000002"}
    )
    await register(
        api, clinic, desk, {"name": "Bo Garcés", "dateOfBirth": "1992-06-06", "email": "bo@example.com"}
    )
    url = f"{BASE}/{clinic}/patients"

    async def found(**params: Any) -> list[str]:
        response = await api.client.get(url, params=params, headers=desk)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await found(phone="+34 600-000-001") == ["Ana García"]
    assert await found(email="ANA@example.COM") == ["Ana García"]
    assert await found(name="ana") == ["Ana García", "Anabel Ruiz"]
    assert await found(name="GARC") == ["Ana García", "Bo Garcés"]
    assert await found(name="ana gar") == ["Ana García"]
    assert await found(name="zzz") == []
    item = (await api.client.get(url, params={"name": "anab"}, headers=desk)).json()["items"][0]
    assert item == {"id": anabel["id"], "name": "Anabel Ruiz", "dateOfBirth": "1991-05-05"}

    first = (await api.client.get(url, params={"name": "ana", "limit": 1}, headers=desk)).json()
    assert [i["id"] for i in first["items"]] == [ana["id"]] and first["nextCursor"]
    second = await api.client.get(
        url, params={"name": "ana", "limit": 1, "cursor": first["nextCursor"]}, headers=desk
    )
    assert [i["id"] for i in second.json()["items"]] == [anabel["id"]]
    elsewhere = await other_clinic(api)
    foreign = await member(api, elsewhere, "desk@elsewhere.example", "RECEPTIONIST")
    assert_error(
        await api.client.get(
            f"{BASE}/{elsewhere}/patients",
            params={"name": "ana", "cursor": first["nextCursor"]},
            headers=foreign,
        ),
        400,
        "VALIDATION_ERROR",
    )
    assert (
        await_names(
            await api.client.get(f"{BASE}/{elsewhere}/patients", params={"name": "ana"}, headers=foreign)
        )
        == []
    )

    assert_error(await api.client.get(url, params={"name": "li"}, headers=desk), 400, "VALIDATION_ERROR")
    assert_error(await api.client.get(url, headers=desk), 400, "VALIDATION_ERROR")
    assert_error(
        await api.client.get(url, params={"name": "ana"}, headers=await api.demo_clinic_admin()),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    assert_error(
        await api.client.get(url, params={"name": "ana"}, headers=foreign), 403, "CLINIC_ACCESS_DENIED"
    )


def await_names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_changes_need_the_current_version_and_soft_delete_hides_the_record(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    desk = await member(api, clinic, "desk@example.com", "RECEPTIONIST")
    created = await register(api, clinic, desk, ANA)
    url = f"{BASE}/{clinic}/patients/{created['id']}"
    own = await api.auth("ana@example.com")

    changed = await api.client.patch(
        url, json={"address": None, "allergies": ["latex", "nuts"]}, headers={**own, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert (changed.json()["address"], changed.json()["allergies"]) == (None, ["latex", "nuts"])
    assert_error(
        await api.client.patch(url, json={"notes": "x"}, headers={**own, "If-Match": '"1"'}),
        409,
        "VERSION_CONFLICT",
    )
    assert_error(await api.client.patch(url, json={"bloodType": "0+"}, headers=own), 400, "VALIDATION_ERROR")
    assert_error(await api.client.patch(url, json={"notes": "x"}, headers=desk), 403, "CONSENT_EXPIRED")

    admin = await api.demo_clinic_admin()
    assert_error(await api.client.delete(url, headers=desk), 403, "INSUFFICIENT_PERMISSIONS")
    assert (await api.client.delete(url, headers=admin)).status_code == 204
    assert_error(await api.client.get(url, headers=own), 404, "PATIENT_NOT_FOUND")
    assert_error(await api.client.delete(url, headers=admin), 404, "PATIENT_NOT_FOUND")
    search = f"{BASE}/{clinic}/patients"
    assert await_names(await api.client.get(search, params={"phone": "+34600000001"}, headers=desk)) == []
    assert await_names(await api.client.get(search, params={"name": "ana"}, headers=desk)) == []


async def test_production_profile_walls_records_by_clinic_and_caches_them_sealed(tmp_path: Path) -> None:
    """PostgreSQL with row-level security and the Redis cache: a patient reads their record
    twice (the second from the cache), staff find it, and another clinic's staff see nothing."""
    from test_production_profile import _admin, setup_container
    from test_sessions_api import sign_in

    async with production_database(tmp_path) as settings, setup_container(settings) as setup:
        async for api in open_api(settings):
            await _admin(setup, "ops@example.com")

            async def bearer(email: str) -> dict[str, str]:
                return {"Authorization": f"Bearer {(await sign_in(api, email, setup)).access_token}"}

            ops = await bearer("ops@example.com")
            clinics = []
            for name in ("A", "B"):
                made = await api.client.post(BASE, json={"name": name, "timeZone": "UTC"}, headers=ops)
                clinics.append(made.json()["id"])
            desks = []
            for clinic, email in zip(clinics, ("desk@a.example", "desk@b.example"), strict=True):
                user = await api.client.post(
                    "/api/v1/users", json={"name": "Desk", "email": email}, headers=ops
                )
                joined = await api.client.post(
                    f"{BASE}/{clinic}/members",
                    json={"userId": user.json()["id"], "role": "RECEPTIONIST"},
                    headers=ops,
                )
                assert joined.status_code == 201, joined.text
                desks.append(await bearer(email))
            created = await register(api, clinics[0], desks[0], ANA)
            own = await bearer("ana@example.com")
            url = f"{BASE}/{clinics[0]}/patients/{created['id']}"
            for _ in range(2):
                read = await api.client.get(url, headers=own)
                assert read.status_code == 200 and read.json() == created
            search = f"{BASE}/{clinics[0]}/patients"
            assert await_names(await api.client.get(search, params={"name": "garc"}, headers=desks[0])) == [
                "Ana García"
            ]
            assert (
                await_names(
                    await api.client.get(
                        f"{BASE}/{clinics[1]}/patients", params={"name": "garc"}, headers=desks[1]
                    )
                )
                == []
            )
            assert_error(await api.client.get(url, headers=desks[1]), 404, "PATIENT_NOT_FOUND")
