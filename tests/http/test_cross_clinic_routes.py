"""Every route with an id, from the route table: clinic B's admin aims at clinic A's objects.

Each answer is 404 (403 CLINIC_ACCESS_DENIED only for the clinic itself) and nothing of clinic A
changes. A new id-bearing route fails this test until it has a case here (an id it knows how to
fill and, for routes with a body, a valid body).
"""

from __future__ import annotations

import re

from http_api import Api

from application.ports.audit import AuditReader

BODIES = {
    ("PATCH", "/api/v1/clinics/{clinic_id}"): {"name": "Taken over"},
    ("POST", "/api/v1/clinics/{clinic_id}/locations"): {"name": "Annex", "address": "2 Side Street"},
    ("POST", "/api/v1/clinics/{clinic_id}/members"): {"userId": "{user_id}", "role": "DOCTOR"},
    ("POST", "/api/v1/clinics/{clinic_id}/patients/{patient_id}/consents"): {"scope": "treatment"},
    ("POST", "/api/v1/clinics/{clinic_id}/patients/{patient_id}/emergency-access"): {
        "reason": "Looking around"
    },
    ("POST", "/api/v1/clinics/{clinic_id}/doctors"): {
        "userId": "{user_id}",
        "specialty": "GP",
        "licenceNumber": "L-1",
    },
    ("PATCH", "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}"): {"bio": "Taken over"},
    ("PUT", "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}/schedule"): {"hours": []},
    ("POST", "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}/time-off"): {
        "startsAt": "2030-01-01T00:00:00Z",
        "endsAt": "2030-01-02T00:00:00Z",
    },
    ("POST", "/api/v1/clinics/{clinic_id}/patients"): {
        "name": "Taken Over",
        "dateOfBirth": "1980-01-01",
        "phone": "+34600000077",
    },
    ("PATCH", "/api/v1/clinics/{clinic_id}/patients/{patient_id}"): {"notes": "Taken over"},
    ("POST", "/api/v1/appointments/{appointment_id}/confirm"): {},
    ("POST", "/api/v1/appointments/{appointment_id}/cancel"): {"reason": "Taken over"},
    ("POST", "/api/v1/appointments/{appointment_id}/reschedule"): {"startsAt": "2030-01-07T10:00:00Z"},
    ("POST", "/api/v1/appointments/{appointment_id}/check-in"): {},
    ("POST", "/api/v1/appointments/{appointment_id}/complete"): {},
    ("POST", "/api/v1/appointments/{appointment_id}/no-show"): {},
    ("POST", "/api/v1/prescriptions/{prescription_id}/corrections"): {
        "medications": [{"name": "Placebo", "dosage": "1 mg", "frequency": "daily", "durationDays": 1}]
    },
}
# Query strings a route needs before it looks anything up.
QUERIES = {
    ("GET", "/api/v1/clinics/{clinic_id}/doctors/{doctor_id}/availability"): (
        "?from=2030-01-07T00:00:00Z&to=2030-01-09T00:00:00Z"
    ),
}
# Routes whose answer to an outsider is not 404: a prescription's document opens by its signed
# link alone, so without the link it is 401 DOCUMENT_LINK_INVALID, whoever asks.
EXPECTED = {("GET", "/api/v1/prescriptions/{prescription_id}/document"): {401}}


def id_routes(api: Api) -> list[tuple[str, str]]:
    found = []
    for route in api.client.app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if not path.startswith("/api/v1") or "{" not in path or path.startswith("/api/v1/schema"):
            continue
        for method in sorted(getattr(route, "methods", ())):
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, path))
    return found


async def member(api: Api, clinic_id: str, email: str, role: str) -> str:
    user_id = await api.new_user(email)
    response = await api.client.post(
        f"/api/v1/clinics/{clinic_id}/members",
        json={"userId": user_id, "role": role},
        headers=await api.super_admin(),
    )
    assert response.status_code == 201, response.text
    return user_id


async def clinical_world(
    api: Api, clinic: str, location: str, staff: str, patient: str
) -> tuple[str, str, str]:
    """Clinic A's doctor (with hours every day and a period off), and an appointment with them."""
    admin = await api.demo_clinic_admin()
    base = f"/api/v1/clinics/{clinic}/doctors"
    created = await api.client.post(
        base, json={"userId": staff, "specialty": "GP", "licenceNumber": "L-0"}, headers=admin
    )
    assert created.status_code == 201, created.text
    every_day = [{"locationId": location, "weekday": d, "start": "00:00", "end": "23:30"} for d in range(7)]
    schedule = await api.client.put(f"{base}/{staff}/schedule", json={"hours": every_day}, headers=admin)
    assert schedule.status_code == 200, schedule.text
    off = await api.client.post(
        f"{base}/{staff}/time-off",
        json={"startsAt": "2031-01-01T00:00:00Z", "endsAt": "2031-01-02T00:00:00Z"},
        headers=admin,
    )
    assert off.status_code == 201, off.text
    booked = await api.client.post(
        "/api/v1/appointments",
        json={
            "clinicId": clinic,
            "locationId": location,
            "doctorId": staff,
            "patientId": patient,
            "startsAt": "2030-01-08T10:00:00Z",
        },
        headers=await api.auth("doc@a.example"),
    )
    assert booked.status_code == 201, booked.text
    return staff, booked.json()["id"], off.json()["id"]


async def test_every_id_route_hides_clinic_a_from_clinic_b(api: Api) -> None:
    admin = await api.super_admin()
    a = await api.demo_clinic_id()
    location = (await api.client.get(f"/api/v1/clinics/{a}/locations", headers=admin)).json()["items"][0][
        "id"
    ]
    patient = await member(api, a, "pat@a.example", "PATIENT")
    staff = await member(api, a, "doc@a.example", "DOCTOR")
    consent = await api.client.post(
        f"/api/v1/clinics/{a}/patients/{patient}/consents",
        json={"scope": "treatment"},
        headers=await api.auth("pat@a.example"),
    )
    prescription = await api.client.post(
        "/api/v1/prescriptions",
        json={
            "clinicId": a,
            "patientId": patient,
            "medications": [
                {"name": "Amoxicillin", "dosage": "500 mg", "frequency": "daily", "durationDays": 7}
            ],
        },
        headers=await api.auth("doc@a.example"),
    )
    assert prescription.status_code == 201, prescription.text
    doctor, appointment, time_off = await clinical_world(api, a, location, staff, patient)
    b = (
        await api.client.post("/api/v1/clinics", json={"name": "B", "timeZone": "UTC"}, headers=admin)
    ).json()["id"]
    await member(api, b, "admin@b.example", "CLINIC_ADMIN")
    outsider = await api.auth("admin@b.example")
    ids = {
        "clinic_id": a,
        "location_id": location,
        "user_id": staff,
        "patient_id": patient,
        "consent_id": consent.json()["id"],
        "prescription_id": prescription.json()["id"],
        "doctor_id": doctor,
        "appointment_id": appointment,
        "time_off_id": time_off,
    }
    async with api.container() as request:
        before = len(
            await (await request.get(AuditReader)).entries(clinic_id=__import__("uuid").UUID(a), limit=10_000)
        )

    missing, wrong = [], []
    for method, path in id_routes(api):
        names = re.findall(r"\{(\w+)\}", path)
        if any(name not in ids for name in names) or (
            method in ("POST", "PATCH", "PUT") and (method, path) not in BODIES
        ):
            missing.append((method, path))
            continue
        url = path.format(**ids) + QUERIES.get((method, path), "")
        body = {
            k: v.format(**ids) if isinstance(v, str) else v for k, v in BODIES.get((method, path), {}).items()
        }
        response = await api.client.request(method, url, json=body or None, headers=outsider)
        expected = EXPECTED.get((method, path)) or ({403} if names == ["clinic_id"] else {404})
        if response.status_code not in expected:
            wrong.append((method, path, response.status_code, response.text[:120]))
        elif response.status_code == 403:
            assert response.json()["error"]["code"] == "CLINIC_ACCESS_DENIED"
    assert not missing, f"id-bearing routes without a case here: {missing}"
    assert not wrong, wrong
    assert len(id_routes(api)) >= 12
    async with api.container() as request:
        entries = await (await request.get(AuditReader)).entries(
            clinic_id=__import__("uuid").UUID(a), limit=10_000
        )
    assert all(e.outcome.value == "DENIED" for e in entries[before:])  # nothing of clinic A changed
