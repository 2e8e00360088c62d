"""The clinic registry through HTTP: the walk-through, tenancy, pagination, versions, audit."""

from __future__ import annotations

import asyncio
from uuid import UUID

from http_api import Api, assert_error

from application.ports.audit import AuditReader

BASE = "/api/v1"


async def create_clinic(api: Api, name: str = "Harbour Clinic") -> dict:
    response = await api.client.post(
        f"{BASE}/clinics",
        json={
            "name": name,
            "timeZone": "Europe/Lisbon",
            "contactEmail": "desk@harbour.example",
            "contactPhone": "+351 21 000 0000",
        },
        headers=await api.super_admin(),
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{BASE}/clinics/{response.json()['id']}"
    return response.json()


async def test_walk_through(api: Api) -> None:
    admin = await api.super_admin()
    clinic = await create_clinic(api)
    assert clinic["timeZone"] == "Europe/Lisbon" and clinic["contactPhone"] == "+351210000000"
    assert UUID(clinic["id"]).version == 7
    assert clinic["createdAt"].endswith("Z")

    location = await api.client.post(
        f"{BASE}/clinics/{clinic['id']}/locations",
        json={"name": "Quay", "address": "1 Quay Street"},
        headers=admin,
    )
    assert location.status_code == 201
    got = await api.client.get(location.headers["location"], headers=admin)
    assert got.json()["name"] == "Quay"

    user = await api.client.post(
        f"{BASE}/users", json={"name": "Dr. Reis", "email": "reis@harbour.example"}, headers=admin
    )
    assert user.status_code == 201
    member = await api.client.post(
        f"{BASE}/clinics/{clinic['id']}/members",
        json={"userId": user.json()["id"], "role": "DOCTOR", "locationIds": [location.json()["id"]]},
        headers=admin,
    )
    assert member.status_code == 201, member.text
    assert member.json()["locationIds"] == [location.json()["id"]]
    members = await api.client.get(f"{BASE}/clinics/{clinic['id']}/members", headers=admin)
    assert [m["userId"] for m in members.json()["items"]] == [user.json()["id"]]

    doctor = await api.auth("reis@harbour.example")
    assert (await api.client.get(f"{BASE}/clinics/{clinic['id']}", headers=doctor)).status_code == 200
    assert (await api.client.get(f"{BASE}/users/{user.json()['id']}", headers=doctor)).json()[
        "name"
    ] == "Dr. Reis"
    listed = await api.client.get(f"{BASE}/clinics", headers=doctor)
    assert [c["id"] for c in listed.json()["items"]] == [clinic["id"]]


async def test_every_write_is_audited_with_the_request_id(api: Api) -> None:
    headers = {**await api.super_admin(), "X-Request-ID": "audit-me-1"}
    response = await api.client.post(
        f"{BASE}/clinics", json={"name": "Audited", "timeZone": "UTC"}, headers=headers
    )
    clinic_id = UUID(response.json()["id"])
    async with api.container() as request:
        entries = await (await request.get(AuditReader)).entries(clinic_id=clinic_id)
    assert [(e.action, e.resource_id, e.request_id) for e in entries] == [
        ("CREATE_CLINIC", str(clinic_id), "audit-me-1")
    ]


async def test_clinic_admin_manages_only_their_clinic(api: Api) -> None:
    other = await create_clinic(api, "Other Clinic")
    own_id = await api.demo_clinic_id()
    admin = await api.demo_clinic_admin()
    super_admin = await api.super_admin()
    location = await api.client.post(
        f"{BASE}/clinics/{other['id']}/locations",
        json={"name": "Elsewhere", "address": "2 Road"},
        headers=super_admin,
    )
    # The clinic itself: 403. Its resources: 404, so ids reveal nothing.
    assert_error(
        await api.client.get(f"{BASE}/clinics/{other['id']}", headers=admin), 403, "CLINIC_ACCESS_DENIED"
    )
    assert_error(
        await api.client.patch(f"{BASE}/clinics/{other['id']}", json={"name": "Mine now"}, headers=admin),
        403,
        "CLINIC_ACCESS_DENIED",
    )
    assert_error(
        await api.client.get(
            f"{BASE}/clinics/{other['id']}/locations/{location.json()['id']}", headers=admin
        ),
        404,
        "LOCATION_NOT_FOUND",
    )
    assert_error(  # another clinic's location under one's own clinic id
        await api.client.get(f"{BASE}/clinics/{own_id}/locations/{location.json()['id']}", headers=admin),
        404,
        "LOCATION_NOT_FOUND",
    )
    assert_error(
        await api.client.get(f"{BASE}/clinics/{other['id']}/members", headers=admin),
        403,
        "CLINIC_ACCESS_DENIED",
    )
    assert_error(
        await api.client.post(f"{BASE}/clinics", json={"name": "New", "timeZone": "UTC"}, headers=admin),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    unchanged = await api.client.get(f"{BASE}/clinics/{other['id']}", headers=super_admin)
    assert unchanged.json()["name"] == "Other Clinic"


async def test_duplicate_email_is_email_already_exists(api: Api) -> None:
    admin = await api.super_admin()
    body = {"name": "Ann", "email": "ann@example.com"}
    assert (await api.client.post(f"{BASE}/users", json=body, headers=admin)).status_code == 201
    assert_error(
        await api.client.post(f"{BASE}/users", json={**body, "email": "ANN@example.com"}, headers=admin),
        409,
        "EMAIL_ALREADY_EXISTS",
    )
    assert_error(
        await api.client.post(f"{BASE}/users", json={"name": "B", "email": "nope"}, headers=admin),
        400,
        "INVALID_EMAIL",
    )
    assert_error(
        await api.client.post(f"{BASE}/users", json={"name": "B", "phone": "12"}, headers=admin),
        400,
        "INVALID_PHONE",
    )


async def test_etag_and_if_match_guard_updates(api: Api) -> None:
    admin = await api.super_admin()
    clinic = await create_clinic(api)
    url = f"{BASE}/clinics/{clinic['id']}"
    etag = (await api.client.get(url, headers=admin)).headers["etag"]
    updated = await api.client.patch(url, json={"name": "Renamed"}, headers={**admin, "If-Match": etag})
    assert updated.status_code == 200 and updated.headers["etag"] != etag
    assert updated.json()["version"] == 2
    assert_error(
        await api.client.patch(url, json={"name": "Stale"}, headers={**admin, "If-Match": etag}),
        409,
        "VERSION_CONFLICT",
    )
    assert (await api.client.get(url, headers=admin)).json()["name"] == "Renamed"


async def test_concurrent_updates_of_one_version_have_one_winner(api: Api) -> None:
    admin = await api.super_admin()
    clinic = await create_clinic(api)
    url = f"{BASE}/clinics/{clinic['id']}"
    responses = await asyncio.gather(
        *(
            api.client.patch(url, json={"name": f"Name {i}"}, headers={**admin, "If-Match": '"1"'})
            for i in range(20)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == 19, statuses
    assert (await api.client.get(url, headers=admin)).json()["version"] == 2


async def test_pagination_is_capped_validated_and_bound_to_its_list(api: Api) -> None:
    admin = await api.super_admin()
    for i in range(3):
        await create_clinic(api, f"Clinic {i}")
    first = await api.client.get(f"{BASE}/clinics", params={"limit": 2}, headers=admin)
    assert len(first.json()["items"]) == 2 and first.json()["nextCursor"]
    rest = await api.client.get(
        f"{BASE}/clinics", params={"limit": 2, "cursor": first.json()["nextCursor"]}, headers=admin
    )
    ids = [c["id"] for c in first.json()["items"] + rest.json()["items"]]
    assert len(ids) == len(set(ids)) == 4 and rest.json()["nextCursor"] is None
    huge = await api.client.get(f"{BASE}/clinics", params={"limit": 1000000}, headers=admin)
    assert huge.status_code == 200 and len(huge.json()["items"]) == 4
    for bad in ("0", "-5", "abc"):
        assert_error(
            await api.client.get(f"{BASE}/clinics", params={"limit": bad}, headers=admin),
            400,
            "VALIDATION_ERROR",
        )
    clinic_id = await api.demo_clinic_id()
    foreign_cursor = first.json()["nextCursor"]
    assert_error(
        await api.client.get(
            f"{BASE}/clinics/{clinic_id}/locations", params={"cursor": foreign_cursor}, headers=admin
        ),
        400,
        "VALIDATION_ERROR",
    )
