"""Doctors, weekly schedules and time off over HTTP, with the people who may and may not use them."""

from __future__ import annotations

from typing import Any

from http_api import Api, assert_error

BASE = "/api/v1/clinics"


async def member(api: Api, clinic_id: str, email: str, role: str) -> str:
    user_id = await api.new_user(email)
    response = await api.client.post(
        f"{BASE}/{clinic_id}/members", json={"userId": user_id, "role": role}, headers=await api.super_admin()
    )
    assert response.status_code == 201, response.text
    return user_id


async def other_clinic(api: Api, name: str = "Elsewhere") -> str:
    response = await api.client.post(
        BASE, json={"name": name, "timeZone": "UTC"}, headers=await api.super_admin()
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def location_of(api: Api, clinic_id: str) -> str:
    response = await api.client.get(f"{BASE}/{clinic_id}/locations", headers=await api.super_admin())
    return str(response.json()["items"][0]["id"])


async def new_doctor(api: Api, clinic: str, email: str, **body: Any) -> dict[str, Any]:
    user_id = await member(api, clinic, email, "DOCTOR")
    response = await api.client.post(
        f"{BASE}/{clinic}/doctors",
        json={"userId": user_id, "specialty": "Cardiology", "licenceNumber": "LIC-1", **body},
        headers=await api.demo_clinic_admin(),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_an_admin_creates_reads_lists_and_updates_doctors(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    admin = await api.demo_clinic_admin()
    user_id = await member(api, clinic, "doc@example.com", "DOCTOR")
    url = f"{BASE}/{clinic}/doctors"
    created = await api.client.post(
        url,
        json={"userId": user_id, "specialty": "Cardiology", "licenceNumber": "LIC-1", "slotMinutes": 20},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1/clinics/{clinic}/doctors/{user_id}"
    assert created.headers["etag"] == '"1"'
    assert body == {
        "id": user_id,
        "clinicId": clinic,
        "displayName": "Someone",  # the user's own name, when none is given
        "specialty": "Cardiology",
        "licenceNumber": "LIC-1",
        "bio": None,
        "slotMinutes": 20,
        "active": True,
        "hours": [],
        "breaks": [],
        "version": 1,
        "createdAt": body["createdAt"],
        "updatedAt": body["updatedAt"],
    }
    again = await api.client.post(
        url, json={"userId": user_id, "specialty": "X", "licenceNumber": "Y"}, headers=admin
    )
    assert_error(again, 409, "DOCTOR_ALREADY_EXISTS")
    desk = await member(api, clinic, "desk@example.com", "RECEPTIONIST")
    not_a_doctor = await api.client.post(
        url, json={"userId": desk, "specialty": "X", "licenceNumber": "Y"}, headers=admin
    )
    assert set(assert_error(not_a_doctor, 400, "VALIDATION_ERROR")["details"]) == {"userId"}
    unknown_field = await api.client.post(
        url, json={"userId": user_id, "specialty": "X", "licenceNumber": "Y", "salary": 1}, headers=admin
    )
    assert_error(unknown_field, 400, "VALIDATION_ERROR")

    one = f"{url}/{user_id}"
    read = await api.client.get(one, headers=admin)
    assert read.status_code == 200 and read.headers["etag"] == '"1"'
    stale = await api.client.patch(one, json={"bio": "Hearts"}, headers={**admin, "If-Match": '"7"'})
    assert_error(stale, 409, "VERSION_CONFLICT")
    updated = await api.client.patch(
        one, json={"bio": "Hearts", "active": False}, headers={**admin, "If-Match": '"1"'}
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["bio"], updated.json()["active"], updated.headers["etag"]) == (
        "Hearts",
        False,
        '"2"',
    )
    assert (await api.client.get(one, headers=admin)).json()["bio"] == "Hearts"
    renamed = await api.client.patch(one, json={"displayName": "Dr. Ana Reis"}, headers=admin)
    assert renamed.json()["displayName"] == "Dr. Ana Reis"
    listed = await api.client.get(url, headers=await api.auth("doc@example.com"))
    assert [d["displayName"] for d in listed.json()["items"]] == ["Dr. Ana Reis"]
    named = await new_doctor(api, clinic, "named@example.com", displayName="Dr. Rui Costa")
    assert named["displayName"] == "Dr. Rui Costa"
    assert_error(
        await api.client.patch(one, json={"slotMinutes": 121}, headers=admin), 400, "VALIDATION_ERROR"
    )


async def test_lists_are_paginated_with_cursors_bound_to_the_clinic(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    admin = await api.demo_clinic_admin()
    made = [(await new_doctor(api, clinic, f"doc{i}@example.com"))["id"] for i in range(3)]
    url = f"{BASE}/{clinic}/doctors"
    first = (await api.client.get(url, params={"limit": 2}, headers=admin)).json()
    second = (
        await api.client.get(url, params={"limit": 2, "cursor": first["nextCursor"]}, headers=admin)
    ).json()
    seen = [d["id"] for d in first["items"] + second["items"]]
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    assert second["nextCursor"] is None or len(second["items"]) == 2
    elsewhere = await other_clinic(api)
    wrong_scope = await api.client.get(
        f"{BASE}/{elsewhere}/doctors", params={"cursor": first["nextCursor"]}, headers=await api.super_admin()
    )
    assert set(assert_error(wrong_scope, 400, "VALIDATION_ERROR")["details"]) == {"cursor"}
    assert_error(await api.client.get(url, params={"limit": 0}, headers=admin), 400, "VALIDATION_ERROR")


async def test_who_may_read_and_change_a_doctor(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    doctor = await new_doctor(api, clinic, "doc@example.com")
    await member(api, clinic, "colleague@example.com", "DOCTOR")
    await member(api, clinic, "desk@example.com", "RECEPTIONIST")
    await member(api, clinic, "pat@example.com", "PATIENT")
    elsewhere = await other_clinic(api)
    await member(api, elsewhere, "admin@elsewhere.example", "CLINIC_ADMIN")
    one = f"{BASE}/{clinic}/doctors/{doctor['id']}"
    people = {
        "admin": await api.demo_clinic_admin(),
        "own doctor": await api.auth("doc@example.com"),
        "other doctor": await api.auth("colleague@example.com"),
        "receptionist": await api.auth("desk@example.com"),
        "patient": await api.auth("pat@example.com"),
        "outsider": await api.auth("admin@elsewhere.example"),
    }
    expected = {
        # who: (read, bio, licence number, schedule, time off, list, create: 409 as the profile exists)
        "admin": (200, 200, 200, 200, 201, 200, 409),
        "own doctor": (200, 200, 403, 200, 201, 200, 403),
        "other doctor": (200, 403, 403, 403, 403, 200, 403),
        "receptionist": (200, 403, 403, 403, 403, 200, 403),
        "patient": (200, 403, 403, 403, 403, 200, 403),
        "outsider": (404, 404, 404, 404, 404, 403, 403),
    }
    location = await location_of(api, clinic)
    seen = {}
    for who, headers in people.items():
        seen[who] = (
            (await api.client.get(one, headers=headers)).status_code,
            (await api.client.patch(one, json={"bio": f"By {who}"}, headers=headers)).status_code,
            (await api.client.patch(one, json={"licenceNumber": f"L-{who}"}, headers=headers)).status_code,
            (
                await api.client.put(
                    f"{one}/schedule",
                    json={
                        "hours": [{"locationId": location, "weekday": 0, "start": "09:00", "end": "12:00"}]
                    },
                    headers=headers,
                )
            ).status_code,
            (
                await api.client.post(
                    f"{one}/time-off",
                    json={"startsAt": "2030-01-01T00:00:00Z", "endsAt": "2030-01-02T00:00:00Z"},
                    headers=headers,
                )
            ).status_code,
            (await api.client.get(f"{BASE}/{clinic}/doctors", headers=headers)).status_code,
            (
                await api.client.post(
                    f"{BASE}/{clinic}/doctors",
                    json={"userId": doctor["id"], "specialty": "X", "licenceNumber": "Y", "bio": "Z"},
                    headers=headers,
                )
            ).status_code,
        )
    assert seen == expected
    outsider = people["outsider"]
    for path in (one, f"{one}/schedule", f"{one}/time-off"):
        assert_error(await api.client.get(path, headers=outsider), 404, "DOCTOR_NOT_FOUND")
    assert_error(
        await api.client.get(f"{BASE}/{clinic}/doctors", headers=outsider), 403, "CLINIC_ACCESS_DENIED"
    )
    final = (await api.client.get(one, headers=people["admin"])).json()
    assert (final["bio"], final["licenceNumber"]) == ("By own doctor", "L-admin")


async def test_schedules_are_validated_and_replaced_whole(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    admin = await api.demo_clinic_admin()
    doctor = await new_doctor(api, clinic, "doc@example.com")
    location = await location_of(api, clinic)
    elsewhere = await other_clinic(api)
    added = await api.client.post(
        f"{BASE}/{elsewhere}/locations",
        json={"name": "Far", "address": "9 Road"},
        headers=await api.super_admin(),
    )
    foreign = added.json()["id"]
    url = f"{BASE}/{clinic}/doctors/{doctor['id']}/schedule"

    def window(loc: str, weekday: int, start: str, end: str) -> dict[str, Any]:
        return {"locationId": loc, "weekday": weekday, "start": start, "end": end}

    cases = [
        (
            {"hours": [window(location, 0, "09:00", "12:00"), window(foreign, 1, "09:00", "12:00")]},
            "hours[1].locationId",
        ),
        (
            {"hours": [window(location, 0, "09:00", "12:00"), window(location, 0, "11:00", "13:00")]},
            "hours[1]",
        ),
        ({"hours": [window(location, 0, "09:00", "12:00")], "slotMinutes": 5}, "slotMinutes"),
        ({"hours": [window(location, 0, "09:00", "12:00")], "slotMinutes": 121}, "slotMinutes"),
        ({"hours": [window(location, 0, "9.00", "12:00")]}, "hours[0].start"),
        (
            {
                "hours": [window(location, 0, "09:00", "12:00")],
                "breaks": [{"weekday": 0, "start": "11:00", "end": "10:00"}],
            },
            "breaks[0]",
        ),
    ]
    for body, field in cases:
        error = assert_error(await api.client.put(url, json=body, headers=admin), 400, "VALIDATION_ERROR")
        assert field in error["details"], (body, error)
    assert_error(
        await api.client.put(url, json={"hours": [], "lunch": []}, headers=admin), 400, "VALIDATION_ERROR"
    )
    week = {
        "slotMinutes": 15,
        "hours": [
            window(location, 0, "09:00", "12:00"),
            window(location, 0, "13:00", "17:00"),
            window(location, 4, "08:30", "12:00"),
        ],
        "breaks": [{"weekday": 0, "start": "10:30", "end": "10:45"}],
    }
    stale = await api.client.put(url, json=week, headers={**admin, "If-Match": '"9"'})
    assert_error(stale, 409, "VERSION_CONFLICT")
    saved = await api.client.put(url, json=week, headers={**admin, "If-Match": '"1"'})
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] == '"2"'
    assert (saved.json()["slotMinutes"], saved.json()["hours"], saved.json()["breaks"]) == (
        15,
        week["hours"],
        week["breaks"],
    )
    schedule = await api.client.get(url, headers=await api.demo_clinic_admin())
    assert schedule.status_code == 200 and schedule.headers["etag"] == '"2"'
    assert schedule.json() == {
        "doctorId": doctor["id"],
        "slotMinutes": 15,
        "hours": week["hours"],
        "breaks": week["breaks"],
        "version": 2,
    }
    emptied = await api.client.put(url, json={"hours": []}, headers=admin)
    assert (emptied.json()["hours"], emptied.json()["breaks"], emptied.json()["slotMinutes"]) == ([], [], 15)


async def test_time_off_is_added_listed_and_removed(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    doctor = await new_doctor(api, clinic, "doc@example.com")
    own = await api.auth("doc@example.com")
    url = f"{BASE}/{clinic}/doctors/{doctor['id']}/time-off"
    added = await api.client.post(
        url,
        json={
            "startsAt": "2030-03-10T08:00:00+01:00",
            "endsAt": "2030-03-12T08:00:00+01:00",
            "reason": "Congress",
        },
        headers=own,
    )
    assert added.status_code == 201, added.text
    period = added.json()
    assert added.headers["location"] == f"{url}/{period['id']}"
    assert (period["startsAt"], period["endsAt"], period["reason"]) == (
        "2030-03-10T07:00:00Z",
        "2030-03-12T07:00:00Z",
        "Congress",
    )
    for body, field in (
        ({"startsAt": "2030-03-10T08:00:00", "endsAt": "2030-03-11T08:00:00Z"}, "startsAt"),
        ({"startsAt": "2030-03-10T08:00:00Z", "endsAt": "2030-03-10T07:00:00Z"}, "endsAt"),
        ({"startsAt": "2030-03-10T08:00:00Z", "endsAt": "2031-03-12T08:00:00Z"}, "endsAt"),
    ):
        error = assert_error(await api.client.post(url, json=body, headers=own), 400, "VALIDATION_ERROR")
        assert field in error["details"]

    listed = await api.client.get(url, params={"from": "2030-03-01", "to": "2030-04-01"}, headers=own)
    assert [(p["id"], p["reason"]) for p in listed.json()["items"]] == [(period["id"], "Congress")]
    await member(api, clinic, "pat@example.com", "PATIENT")
    as_patient = await api.client.get(
        url, params={"from": "2030-03-01"}, headers=await api.auth("pat@example.com")
    )
    assert [(p["id"], p["reason"]) for p in as_patient.json()["items"]] == [(period["id"], None)]
    assert (await api.client.get(url, params={"from": "2030-03-12T07:00:00Z"}, headers=own)).json()[
        "items"
    ] == []
    too_long = await api.client.get(url, params={"from": "2030-01-01", "to": "2031-06-01"}, headers=own)
    assert_error(too_long, 400, "VALIDATION_ERROR")

    # Another clinic's doctor path, with this period's id: not found, and the period stays.
    elsewhere = await other_clinic(api)
    await member(api, elsewhere, "admin@elsewhere.example", "CLINIC_ADMIN")
    theirs = await member(api, elsewhere, "doc@elsewhere.example", "DOCTOR")
    their_admin = await api.auth("admin@elsewhere.example")
    created = await api.client.post(
        f"{BASE}/{elsewhere}/doctors",
        json={"userId": theirs, "specialty": "GP", "licenceNumber": "L"},
        headers=their_admin,
    )
    assert created.status_code == 201
    foreign = await api.client.delete(
        f"{BASE}/{elsewhere}/doctors/{theirs}/time-off/{period['id']}", headers=their_admin
    )
    assert_error(foreign, 404, "TIME_OFF_NOT_FOUND")
    assert_error(
        await api.client.delete(f"{url}/{period['id']}", headers=their_admin), 404, "DOCTOR_NOT_FOUND"
    )

    removed = await api.client.delete(f"{url}/{period['id']}", headers=own)
    assert removed.status_code == 204 and removed.content == b""
    assert_error(await api.client.delete(f"{url}/{period['id']}", headers=own), 404, "TIME_OFF_NOT_FOUND")
    assert (await api.client.get(url, params={"from": "2030-03-01"}, headers=own)).json()["items"] == []


async def test_every_write_is_audited_on_the_doctor(api: Api) -> None:
    from uuid import UUID

    from application.ports.audit import AuditReader

    clinic = await api.demo_clinic_id()
    admin = await api.demo_clinic_admin()
    doctor = await new_doctor(api, clinic, "doc@example.com")
    one = f"{BASE}/{clinic}/doctors/{doctor['id']}"
    location = await location_of(api, clinic)
    await api.client.patch(one, json={"bio": "Hi"}, headers=admin)
    await api.client.put(
        f"{one}/schedule",
        json={"hours": [{"locationId": location, "weekday": 1, "start": "09:00", "end": "10:00"}]},
        headers=admin,
    )
    period = await api.client.post(
        f"{one}/time-off",
        json={"startsAt": "2030-01-01T00:00:00Z", "endsAt": "2030-01-02T00:00:00Z"},
        headers=admin,
    )
    await api.client.delete(f"{one}/time-off/{period.json()['id']}", headers=admin)
    async with api.container() as request:
        entries = await (await request.get(AuditReader)).entries(clinic_id=UUID(clinic), limit=1000)
    doctor_writes = [(e.action, e.resource_id) for e in entries if e.resource_type == "doctor"]
    assert doctor_writes == [
        (action, doctor["id"])
        for action in (
            "CREATE_DOCTOR",
            "UPDATE_DOCTOR",
            "SET_DOCTOR_SCHEDULE",
            "ADD_TIME_OFF",
            "REMOVE_TIME_OFF",
        )
    ]


async def test_the_whole_flow_on_the_production_profile_under_row_level_security(tmp_path) -> None:
    from http_api import open_api, production_database
    from test_production_profile import _admin, setup_container
    from test_sessions_api import sign_in

    async with production_database(tmp_path) as settings, setup_container(settings) as setup:
        async for api in open_api(settings):
            await _admin(setup, "ops@example.com")
            ops = {"Authorization": f"Bearer {(await sign_in(api, 'ops@example.com', setup)).access_token}"}

            async def clinic(name: str) -> tuple[str, str]:
                made = await api.client.post(
                    BASE, json={"name": name, "timeZone": "Europe/Berlin"}, headers=ops
                )
                where = await api.client.post(
                    f"{BASE}/{made.json()['id']}/locations",
                    json={"name": "Main", "address": "1 Quay"},
                    headers=ops,
                )
                return made.json()["id"], where.json()["id"]

            async def person(clinic_id: str, email: str, role: str) -> tuple[str, dict[str, str]]:
                user = await api.client.post(
                    "/api/v1/users", json={"name": "Someone", "email": email}, headers=ops
                )
                joined = await api.client.post(
                    f"{BASE}/{clinic_id}/members",
                    json={"userId": user.json()["id"], "role": role},
                    headers=ops,
                )
                assert joined.status_code == 201, joined.text
                token = (await sign_in(api, email, setup)).access_token
                return user.json()["id"], {"Authorization": f"Bearer {token}"}

            a, location = await clinic("A")
            b, _ = await clinic("B")
            _, admin = await person(a, "admin@a.example", "CLINIC_ADMIN")
            doctor_id, doctor = await person(a, "doc@a.example", "DOCTOR")
            _, outsider = await person(b, "admin@b.example", "CLINIC_ADMIN")
            created = await api.client.post(
                f"{BASE}/{a}/doctors",
                json={"userId": doctor_id, "specialty": "GP", "licenceNumber": "L-1"},
                headers=admin,
            )
            assert created.status_code == 201, created.text
            one = f"{BASE}/{a}/doctors/{doctor_id}"
            week = {"hours": [{"locationId": location, "weekday": 0, "start": "09:00", "end": "12:00"}]}
            saved = await api.client.put(f"{one}/schedule", json=week, headers={**doctor, "If-Match": '"1"'})
            assert saved.status_code == 200 and saved.json()["hours"] == week["hours"]
            period = await api.client.post(
                f"{one}/time-off",
                json={"startsAt": "2030-01-01T00:00:00Z", "endsAt": "2030-01-02T00:00:00Z"},
                headers=doctor,
            )
            assert period.status_code == 201, period.text
            listed = await api.client.get(f"{one}/time-off", params={"from": "2030-01-01"}, headers=admin)
            assert [p["id"] for p in listed.json()["items"]] == [period.json()["id"]]
            assert (await api.client.get(one, headers=admin)).json()["version"] == 2
            assert_error(await api.client.get(one, headers=outsider), 404, "DOCTOR_NOT_FOUND")
            assert_error(
                await api.client.delete(f"{one}/time-off/{period.json()['id']}", headers=outsider),
                404,
                "DOCTOR_NOT_FOUND",
            )
            assert_error(
                await api.client.get(f"{BASE}/{a}/doctors", headers=outsider), 403, "CLINIC_ACCESS_DENIED"
            )
            assert (await api.client.get(f"{BASE}/{b}/doctors", headers=outsider)).json()["items"] == []
            removed = await api.client.delete(f"{one}/time-off/{period.json()['id']}", headers=doctor)
            assert removed.status_code == 204
