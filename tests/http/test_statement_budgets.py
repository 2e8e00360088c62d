"""Every endpoint is held to a budget of SQL statements per request, so an N+1 fails a test.

How it works: each row of BUDGETS is one request, made against a small world (the demo clinic
with several locations, members, patients and consents, so a list that loads its items one by
one issues visibly more statements than one that does not). The request's statements are counted
on the app's engine (tests/http/statement_budget.py) and must not exceed the row's budget; a
failure prints every statement's fingerprint. Budgets sit a little above what each route issued
when it was written: lower one when a route gets cheaper, and raise one only with a reason.

Adding a route (the clinical ones: doctors, patients, appointments, prescriptions):
1. append a ``Budget(method, path, max_statements, ...)`` row to BUDGETS with the path exactly as
   the OpenAPI document spells it (``/api/v1`` left off, ``{clinic_id}``-style placeholders; a
   query string may follow, as in ``/audit?clinicId={clinic_id}``);
2. every placeholder must be a key of ``World.ids``: when the route needs an id the world does
   not have yet (an appointment, a prescription), create the object in ``make_world`` and add
   its id there (and, for lists, create a few, so an N+1 shows);
3. ``caller`` names one of ``World.callers``; ``body`` values are ``str.format``-ed with the ids;
4. run this module, read the counts from the failure message (or ``-s``: each test prints its
   count), and set the budget one or two above.
``test_every_route_has_a_budget`` fails for a route of the OpenAPI document that has neither a
row nor an entry in UNBUDGETED (with its reason), so a new route cannot slip past.

Counted on the embedded profile (SQLite), with the cache off (CACHE_ENABLED=false) so that every
read reaches the database: the worst case, and independent of what earlier requests cached.
On PostgreSQL the same request issues the same queries plus a constant per transaction: every
transaction starts with one ``set_config`` statement that applies the tenant scope
(adapters/sql/tenancy.py), and one more when the scope is applied inside a transaction already
open; audit appends take a fast path there once the process remembers the chain head
(adapters/sql/audit_heads.py), one statement fewer. Neither depends on how many rows a request
touches, so an N+1 grows the count alike on both engines, and a budget that holds on SQLite
holds for the same query shape on PostgreSQL, offset by that constant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from http_api import Api, embedded_settings, open_api
from statement_budget import count_statements, describe
from test_sessions_api import sign_in

from application.demo.seed_demo_data import DEMO_CLINIC_ADMIN_EMAIL

PREFIX = "/api/v1"
# World ids that stand for a route's placeholder: a registered patient (with a record), a held
# and a checked-in appointment.
ALIASES = {"record_id": "patient_id", "held_id": "appointment_id", "checked_in_id": "appointment_id"}


@dataclass(frozen=True)
class Budget:
    method: str
    path: str  # as in the OpenAPI document, without the /api/v1 prefix
    max_statements: int
    caller: str = "admin"  # a key of World.callers
    body: Mapping[str, Any] | None = None  # string values are formatted with World.ids
    status: int = 200

    @property
    def key(self) -> tuple[str, str]:
        """The route as the OpenAPI document names it (world-specific ids read as their kind)."""
        path = self.path.split("?", 1)[0]
        for name, kind in ALIASES.items():
            path = path.replace("{" + name + "}", "{" + kind + "}")
        return self.method.lower(), PREFIX + path

    def __str__(self) -> str:
        return f"{self.method} {self.path} as {self.caller}"


BUDGETS: list[Budget] = [
    # Clinics, locations, members, users.
    Budget("GET", "/clinics", 5),
    Budget("GET", "/clinics", 5, caller="super"),
    Budget("POST", "/clinics", 8, caller="super", body={"name": "New", "timeZone": "UTC"}, status=201),
    Budget("GET", "/clinics/{clinic_id}", 5),
    Budget("PATCH", "/clinics/{clinic_id}", 9, body={"name": "Renamed"}),
    Budget("GET", "/clinics/{clinic_id}/locations", 5),
    Budget(
        "POST", "/clinics/{clinic_id}/locations", 9, body={"name": "Pier", "address": "9 Pier"}, status=201
    ),
    Budget("GET", "/clinics/{clinic_id}/locations/{location_id}", 5),
    Budget("POST", "/users", 8, body={"name": "Nia", "email": "nia@example.com"}, status=201),
    Budget("GET", "/users/{user_id}", 6),
    Budget("GET", "/clinics/{clinic_id}/members", 5),
    Budget(
        "POST",
        "/clinics/{clinic_id}/members",
        11,
        body={"userId": "{free_user_id}", "role": "RECEPTIONIST", "locationIds": ["{location_id}"]},
        status=201,
    ),
    Budget("GET", "/clinics/{clinic_id}/members/{user_id}", 5),
    # Sessions and sign-in.
    Budget("GET", "/auth/me", 6),
    Budget("POST", "/auth/refresh", 7, caller="anonymous", body={"refreshToken": "{refresh_token}"}),
    Budget("POST", "/auth/logout", 9, caller="session", status=204),
    Budget(
        "POST",
        "/auth/request-otp",
        6,
        caller="anonymous",
        body={"email": DEMO_CLINIC_ADMIN_EMAIL, "deliveryMethod": "email"},
        status=202,
    ),
    # A wrong code: the path every guess takes (look-up, count the attempt, refuse).
    Budget(
        "POST",
        "/auth/verify-otp",
        4,
        caller="anonymous",
        body={"email": DEMO_CLINIC_ADMIN_EMAIL, "code": "000000"},
        status=401,
    ),
    # Consent and break-glass.
    Budget("GET", "/clinics/{clinic_id}/patients/{patient_id}/consents", 6, caller="receptionist"),
    Budget(
        "POST",
        "/clinics/{clinic_id}/patients/{patient_id}/consents",
        9,
        caller="receptionist",
        body={"scope": "data_sharing"},
        status=201,
    ),
    Budget(
        "DELETE",
        "/clinics/{clinic_id}/patients/{patient_id}/consents/{consent_id}",
        9,
        caller="receptionist",
    ),
    Budget(
        "POST",
        "/clinics/{clinic_id}/patients/{patient_id}/emergency-access",
        9,
        caller="doctor",
        body={"reason": "Unconscious on arrival", "minutes": 30},
        status=201,
    ),
    # Audit.
    Budget("GET", "/audit?clinicId={clinic_id}", 5),
    Budget("GET", "/audit", 5, caller="super"),
    # Doctors, schedules, time off, availability.
    Budget("GET", "/clinics/{clinic_id}/doctors", 99),
    Budget(
        "POST",
        "/clinics/{clinic_id}/doctors",
        10,
        body={"userId": "{free_doctor_id}", "specialty": "Dermatology", "licenceNumber": "L-2"},
        status=201,
    ),
    Budget("GET", "/clinics/{clinic_id}/doctors/{doctor_id}", 99),
    Budget("PATCH", "/clinics/{clinic_id}/doctors/{doctor_id}", 9, body={"bio": "Family medicine"}),
    Budget("GET", "/clinics/{clinic_id}/doctors/{doctor_id}/schedule", 99),
    Budget(
        "PUT",
        "/clinics/{clinic_id}/doctors/{doctor_id}/schedule",
        10,
        body={"hours": [{"locationId": "{location_id}", "weekday": 0, "start": "09:00", "end": "17:00"}]},
    ),
    Budget("GET", "/clinics/{clinic_id}/doctors/{doctor_id}/time-off", 99),
    Budget(
        "POST",
        "/clinics/{clinic_id}/doctors/{doctor_id}/time-off",
        9,
        body={"startsAt": "2032-03-01T00:00:00Z", "endsAt": "2032-03-08T00:00:00Z"},
        status=201,
    ),
    Budget("DELETE", "/clinics/{clinic_id}/doctors/{doctor_id}/time-off/{time_off_id}", 9, status=204),
    Budget(
        "GET",
        "/clinics/{clinic_id}/doctors/{doctor_id}/availability?from=2030-01-07T00:00:00Z&to=2030-02-07T00:00:00Z",
        8,
        caller="patient",
    ),
    # Patients' records.
    Budget("GET", "/clinics/{clinic_id}/patients?name=Lima", 6, caller="receptionist"),
    Budget(
        "POST",
        "/clinics/{clinic_id}/patients",
        16,
        caller="receptionist",
        body={"name": "Rui Costa", "dateOfBirth": "1975-06-07", "phone": "+34600000222"},
        status=201,
    ),
    Budget("GET", "/clinics/{clinic_id}/patients/{record_id}", 6, caller="receptionist"),
    Budget(
        "PATCH", "/clinics/{clinic_id}/patients/{record_id}", 13, caller="receptionist", body={"notes": "Tea"}
    ),
    Budget("DELETE", "/clinics/{clinic_id}/patients/{record_id}", 10, status=204),
    Budget("GET", "/clinics/{clinic_id}/patients/{record_id}/export", 99),
    # Appointments.
    Budget(
        "POST",
        "/appointments",
        18,
        caller="receptionist",
        body={
            "clinicId": "{clinic_id}",
            "locationId": "{location_id}",
            "doctorId": "{doctor_id}",
            "patientId": "{record_id}",
            "startsAt": "2030-01-10T09:00:00Z",
        },
        status=201,
    ),
    Budget("GET", "/appointments?clinicId={clinic_id}", 6, caller="receptionist"),
    Budget("GET", "/appointments/{appointment_id}", 7, caller="receptionist"),
    Budget("POST", "/appointments/{held_id}/confirm", 14, caller="receptionist"),
    Budget(
        "POST", "/appointments/{appointment_id}/cancel", 12, caller="receptionist", body={"reason": "Ill"}
    ),
    Budget(
        "POST",
        "/appointments/{appointment_id}/reschedule",
        19,
        caller="receptionist",
        body={"startsAt": "2030-01-11T09:00:00Z"},
    ),
    Budget("POST", "/appointments/{appointment_id}/check-in", 14, caller="receptionist"),
    Budget("POST", "/appointments/{checked_in_id}/complete", 12, caller="doctor"),
    Budget("POST", "/appointments/{appointment_id}/no-show", 12, caller="receptionist"),
    # Prescriptions.
    Budget(
        "POST",
        "/prescriptions",
        11,
        caller="doctor",
        body={
            "clinicId": "{clinic_id}",
            "patientId": "{record_id}",
            "medications": [{"name": "Ibuprofen", "dosage": "200 mg", "frequency": "tid", "durationDays": 5}],
        },
        status=201,
    ),
    Budget("GET", "/prescriptions?clinicId={clinic_id}&patientId={record_id}", 7, caller="doctor"),
    Budget("GET", "/prescriptions/{prescription_id}", 6, caller="doctor"),
    Budget(
        "POST",
        "/prescriptions/{prescription_id}/corrections",
        11,
        caller="doctor",
        body={
            "medications": [{"name": "Ibuprofen", "dosage": "400 mg", "frequency": "bid", "durationDays": 5}]
        },
        status=201,
    ),
    Budget("GET", "/prescriptions/{prescription_id}/verify", 5, caller="doctor"),
    Budget("GET", "/prescriptions/{prescription_id}/document?token={document_token}", 3, caller="anonymous"),
]

# Routes of the OpenAPI document deliberately without a budget, with the reason.
UNBUDGETED: dict[tuple[str, str], str] = {
    ("get", "/health/live"): "touches no database",
    ("get", "/health/ready"): "one probe statement by construction (adapters/sql/health.py)",
    ("get", "/api/v1/webhooks/whatsapp"): "the verification handshake touches no database",
    ("post", "/api/v1/webhooks/whatsapp"): "covered by tests/http/test_whatsapp_statuses.py",
}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    """The cache off: every read reaches the database, so a count is the worst case and does not
    depend on what earlier requests happened to cache."""
    async for ready in open_api(embedded_settings(tmp_path, CACHE_ENABLED="false")):
        yield ready


@dataclass
class World:
    ids: dict[str, str]
    callers: dict[str, dict[str, str]] = field(default_factory=dict)


async def _member(api: Api, clinic: str, email: str, role: str, locations: list[str] | None = None) -> str:
    user_id = await api.new_user(email)
    response = await api.client.post(
        f"{PREFIX}/clinics/{clinic}/members",
        json={"userId": user_id, "role": role, "locationIds": locations or []},
        headers=await api.super_admin(),
    )
    assert response.status_code == 201, response.text
    return user_id


async def make_world(api: Api) -> World:
    admin = await api.demo_clinic_admin()
    clinic = await api.demo_clinic_id()
    locations = []
    for n in range(3):
        response = await api.client.post(
            f"{PREFIX}/clinics/{clinic}/locations",
            json={"name": f"Site {n}", "address": f"{n} Road"},
            headers=admin,
        )
        assert response.status_code == 201, response.text
        locations.append(response.json()["id"])
    doctor = await _member(api, clinic, "doc@example.com", "DOCTOR", locations[:2])
    await _member(api, clinic, "desk@example.com", "RECEPTIONIST", locations)
    patients = [await _member(api, clinic, f"pat{n}@example.com", "PATIENT") for n in range(3)]
    receptionist = await api.auth("desk@example.com")
    consents = []
    for scope in ("treatment", "whatsapp_notifications", "data_sharing"):
        response = await api.client.post(
            f"{PREFIX}/clinics/{clinic}/patients/{patients[0]}/consents",
            json={"scope": scope},
            headers=receptionist,
        )
        assert response.status_code == 201, response.text
        consents.append(response.json()["id"])
    clinical = await _clinical(api, clinic, locations[0], doctor, admin, receptionist)
    pair = await sign_in(api, DEMO_CLINIC_ADMIN_EMAIL)
    ids = {
        **clinical,
        "clinic_id": clinic,
        "location_id": locations[0],
        "user_id": doctor,
        "doctor_id": doctor,
        "patient_id": patients[0],
        "consent_id": consents[0],
        "free_user_id": await api.new_user("free@example.com"),
        "refresh_token": pair.refresh_token,
    }
    callers = {
        "admin": admin,
        "super": await api.super_admin(),
        "doctor": await api.auth("doc@example.com"),
        "receptionist": receptionist,
        "patient": await api.auth("pat0@example.com"),
        "session": {"Authorization": f"Bearer {pair.access_token}"},
        "anonymous": {},
    }
    return World(ids=ids, callers=callers)


async def _post(api: Api, path: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> Any:
    response = await api.client.post(PREFIX + path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _clinical(
    api: Api, clinic: str, location: str, doctor: str, admin: dict[str, str], desk: dict[str, str]
) -> dict[str, str]:
    """The doctor's profile, hours every day and a period off; a registered patient with a
    treatment consent and several appointments (one held, one checked in); a prescription."""
    base = f"/clinics/{clinic}/doctors"
    await _post(api, base, {"userId": doctor, "specialty": "GP", "licenceNumber": "L-1"}, admin)
    hours = [{"locationId": location, "weekday": d, "start": "00:00", "end": "23:30"} for d in range(7)]
    response = await api.client.put(f"{PREFIX}{base}/{doctor}/schedule", json={"hours": hours}, headers=admin)
    assert response.status_code == 200, response.text
    off = await _post(
        api,
        f"{base}/{doctor}/time-off",
        {"startsAt": "2031-01-01T00:00:00Z", "endsAt": "2031-01-02T00:00:00Z"},
        admin,
    )
    record = (
        await _post(
            api,
            f"/clinics/{clinic}/patients",
            {
                "name": "Ana Lima",
                "dateOfBirth": "1980-02-03",
                "phone": "+34600000111",
                "email": "ana@example.com",
            },
            desk,
        )
    )["id"]
    await _post(api, f"/clinics/{clinic}/patients/{record}/consents", {"scope": "treatment"}, desk)
    booked = []
    for day, hold in ((7, False), (8, False), (9, True), (12, False)):
        booking = {
            "clinicId": clinic,
            "locationId": location,
            "doctorId": doctor,
            "patientId": record,
            "startsAt": f"2030-01-{day:02d}T09:00:00Z",
            "hold": hold,
        }
        booked.append((await _post(api, "/appointments", booking, desk))["id"])
    await _post(api, f"/appointments/{booked[1]}/check-in", {}, desk)
    issued = await _post(
        api,
        "/prescriptions",
        {
            "clinicId": clinic,
            "patientId": record,
            "medications": [
                {"name": "Amoxicillin", "dosage": "500 mg", "frequency": "tid", "durationDays": 7}
            ],
        },
        await api.auth("doc@example.com"),
    )
    return {
        "free_doctor_id": await _member(api, clinic, "doc2@example.com", "DOCTOR"),
        "time_off_id": off["id"],
        "record_id": record,
        "appointment_id": booked[0],
        "checked_in_id": booked[1],
        "held_id": booked[2],
        "prescription_id": issued["id"],
        "document_token": issued["document"]["url"].split("token=", 1)[1],
    }


def _formatted(value: Any, ids: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_formatted(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _formatted(item, ids) for key, item in value.items()}
    return value


@pytest.mark.parametrize("budget", BUDGETS, ids=str)
async def test_request_stays_within_its_statement_budget(api: Api, budget: Budget) -> None:
    world = await make_world(api)
    url = PREFIX + budget.path.format(**world.ids)
    body = _formatted(budget.body, world.ids) if budget.body is not None else None
    async with count_statements(api.container) as counter:
        with counter.request() as statements:
            response = await api.client.request(
                budget.method, url, json=body, headers=world.callers[budget.caller]
            )
    assert response.status_code == budget.status, response.text
    print(f"{budget}: {len(statements)} statements")
    assert len(statements) <= budget.max_statements, (
        f"{budget} issued {len(statements)} statements, over its budget of {budget.max_statements}:\n"
        + describe(statements)
    )


async def test_every_route_has_a_budget(api: Api) -> None:
    document = (await api.client.get(f"{PREFIX}/schema/openapi.json")).json()
    routes = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    budgeted = {budget.key for budget in BUDGETS}
    missing = sorted(routes - budgeted - set(UNBUDGETED))
    assert not missing, (
        "routes without a statement budget (add a row to BUDGETS, see this module's docstring): "
        + ", ".join(f"{m.upper()} {p}" for m, p in missing)
    )
    assert not (budgeted - routes), "budgets for routes that no longer exist"


async def test_a_warm_appointment_read_issues_no_statement(tmp_path: Path) -> None:
    """With the cache on (as served), a second read of an appointment by the same session finds
    all it needs in the cache (session, user, memberships, appointment, consents, clinic): no
    statement, no transaction. Its PHI-read audit entry is buffered and written in batches."""
    async for api in open_api(embedded_settings(tmp_path)):
        world = await make_world(api)
        url = PREFIX + f"/appointments/{world.ids['appointment_id']}"
        desk = world.callers["receptionist"]
        assert (await api.client.get(url, headers=desk)).status_code == 200
        async with count_statements(api.container) as counter:
            with counter.request() as statements:
                response = await api.client.get(url, headers=desk)
        assert response.status_code == 200, response.text
        assert statements == [], describe(statements)
