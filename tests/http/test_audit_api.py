"""GET /api/v1/audit through HTTP: who may read which trail, filters, keyset pages and the limit
cap; denials and PHI reads leave exactly one entry each."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import pytest
from http_api import Api, assert_error, embedded_settings, open_api

from application.auditing import AuditEntries
from application.ports.uow import UnitOfWork

AUDIT = "/api/v1/audit"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    # PHI reads are buffered; a short interval lets the tests see them without waiting long.
    async for ready in open_api(embedded_settings(tmp_path, SECURITY_AUDIT_FLUSH_INTERVAL_MS="20")):
        yield ready


async def member(api: Api, clinic_id: str, email: str, role: str) -> dict[str, str]:
    user_id = await api.new_user(email)
    added = await api.client.post(
        f"/api/v1/clinics/{clinic_id}/members",
        json={"userId": user_id, "role": role},
        headers=await api.super_admin(),
    )
    assert added.status_code == 201, added.text
    return await api.auth(email)


async def second_clinic(api: Api) -> str:
    created = await api.client.post(
        "/api/v1/clinics", json={"name": "Clinic B", "timeZone": "UTC"}, headers=await api.super_admin()
    )
    return str(created.json()["id"])


async def entries(api: Api, headers: dict[str, str], **params: str) -> list[dict]:
    response = await api.client.get(AUDIT, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def eventually(api: Api, headers: dict[str, str], count: int, **params: str) -> list[dict]:
    """The entries matching ``params`` once there are ``count``, checked until a deadline (PHI
    reads are written by the buffer's next flush)."""
    deadline = time.monotonic() + 10
    while len(found := await entries(api, headers, **params)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} audit entries {params} before the deadline"
    return found


async def test_clinic_admins_read_their_trail_and_outsiders_are_refused_and_audited(api: Api) -> None:
    a = await api.demo_clinic_id()
    b = await second_clinic(api)
    admin_a, admin_b = (
        await api.demo_clinic_admin(),
        await member(api, b, "admin.b@example.com", "CLINIC_ADMIN"),
    )
    doctor_a = await member(api, a, "doctor.a@example.com", "DOCTOR")

    refused = await api.client.get(
        AUDIT, params={"clinicId": a}, headers={**admin_b, "X-Request-ID": "peek-1"}
    )
    assert_error(refused, 403, "CLINIC_ACCESS_DENIED")
    assert_error(
        await api.client.get(AUDIT, params={"clinicId": a}, headers=doctor_a), 403, "INSUFFICIENT_PERMISSIONS"
    )
    assert_error(
        await api.client.get(AUDIT, headers=admin_a), 403, "INSUFFICIENT_PERMISSIONS"
    )  # platform trail

    trail = await entries(api, admin_a, clinicId=a)
    assert all(
        set(item) >= {"id", "chain", "sequence", "outcome", "clientIp", "changedFields"} for item in trail
    )
    assert not any("hash" in key.lower() for item in trail for key in item)
    assert [item["sequence"] for item in trail] == sorted(item["sequence"] for item in trail)
    [peek] = [item for item in trail if item["requestId"] == "peek-1"]
    assert (peek["outcome"], peek["action"], peek["chain"], peek["clinicId"]) == (
        "DENIED",
        "VIEW_AUDIT_TRAIL",
        a,
        a,
    )
    assert peek["actorRole"] is None and peek["clientIp"]
    assert len([item for item in trail if item["outcome"] == "DENIED"]) == 2  # B's admin, A's doctor
    assert await entries(api, await api.super_admin(), clinicId=b)  # super admins read every trail


async def test_pages_filters_and_the_limit_cap(api: Api) -> None:
    a = await api.demo_clinic_id()
    admin = await api.super_admin()
    async with api.container() as request:  # 120 entries in clinic A's chain, written directly
        uow, build = await request.get(UnitOfWork), await request.get(AuditEntries)
        uow.record(*(build.entry(None, "SEED", "thing", n, clinic_id=UUID(a)) for n in range(120)))
        await uow.commit()

    capped = await api.client.get(AUDIT, params={"clinicId": a, "limit": "1000"}, headers=admin)
    assert capped.status_code == 200 and len(capped.json()["items"]) == 100
    seen, cursor = [], None
    while True:
        params = {
            "clinicId": a,
            "resourceType": "thing",
            "limit": "50",
            **({"cursor": cursor} if cursor else {}),
        }
        page = (await api.client.get(AUDIT, params=params, headers=admin)).json()
        seen += [item["resourceId"] for item in page["items"]]
        if not (cursor := page["nextCursor"]):
            break
    assert seen == [str(n) for n in range(120)]
    assert [i["resourceId"] for i in await entries(api, admin, clinicId=a, resourceId="7")] == ["7"]
    assert await entries(api, admin, clinicId=a, to="2000-01-01") == []
    assert len(await entries(api, admin, clinicId=a, **{"from": "2000-01-01T00:00:00Z"}, limit="5")) == 5

    other = await second_clinic(api)
    foreign = await api.client.get(
        AUDIT, params={"clinicId": other, "cursor": capped.json()["nextCursor"]}, headers=admin
    )
    assert_error(foreign, 400, "VALIDATION_ERROR")  # a cursor is bound to its clinic's trail
    assert_error(
        await api.client.get(AUDIT, params={"clinicId": a, "limit": "0"}, headers=admin),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(
        await api.client.get(AUDIT, params={"clinicId": a, "from": "yesterday"}, headers=admin),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(await api.client.get(AUDIT, params={"clinicId": "nope"}, headers=admin), 400, "INVALID_UUID")


async def test_reads_of_personal_data_are_audited_once_allowed_or_denied(api: Api) -> None:
    a = await api.demo_clinic_id()
    b = await second_clinic(api)
    outsider = await member(api, b, "admin.b@example.com", "CLINIC_ADMIN")
    admin = await api.super_admin()
    doctor_id = await api.new_user("doc@example.com")
    await api.client.post(
        f"/api/v1/clinics/{a}/members", json={"userId": doctor_id, "role": "DOCTOR"}, headers=admin
    )
    reader = await api.demo_clinic_admin()

    assert (await api.client.get(f"/api/v1/users/{doctor_id}", headers=reader)).status_code == 200
    assert (await api.client.get(f"/api/v1/users/{doctor_id}", headers=outsider)).status_code == 404
    assert (
        await api.client.get(f"/api/v1/clinics/{a}/members/{doctor_id}", headers=reader)
    ).status_code == 200
    assert (  # another clinic's member: not found, whatever exists
        await api.client.get(f"/api/v1/clinics/{a}/members/{doctor_id}", headers=outsider)
    ).status_code == 404

    platform = await eventually(api, admin, 3, resourceType="user", resourceId=doctor_id)
    assert sorted((e["action"], e["outcome"]) for e in platform) == [
        ("CREATE_USER", "SUCCESS"),
        ("VIEW_USER", "DENIED"),
        ("VIEW_USER", "SUCCESS"),
    ]
    in_clinic = await eventually(api, admin, 3, clinicId=a, resourceType="membership", resourceId=doctor_id)
    assert sorted((e["action"], e["outcome"]) for e in in_clinic) == [
        ("ADD_MEMBER", "SUCCESS"),
        ("VIEW_MEMBER", "SUCCESS"),
        ("VIEW_MEMBERS", "DENIED"),
    ]
    success = next(e for e in in_clinic if e["action"] == "VIEW_MEMBER")
    assert (success["actorRole"], success["action"]) == ("CLINIC_ADMIN", "VIEW_MEMBER")
