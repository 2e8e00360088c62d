"""Consent and break-glass over HTTP, with the people who may and may not use them."""

from __future__ import annotations

from http_api import Api, assert_error

BASE = "/api/v1/clinics"


async def member(api: Api, clinic_id: str, email: str, role: str) -> str:
    user_id = await api.new_user(email)
    response = await api.client.post(
        f"{BASE}/{clinic_id}/members", json={"userId": user_id, "role": role}, headers=await api.super_admin()
    )
    assert response.status_code == 201, response.text
    return user_id


async def test_consent_history_is_kept_and_only_the_right_people_touch_it(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    patient = await member(api, clinic, "pat@example.com", "PATIENT")
    other_patient = await member(api, clinic, "other@example.com", "PATIENT")
    await member(api, clinic, "desk@example.com", "RECEPTIONIST")
    url = f"{BASE}/{clinic}/patients/{patient}/consents"

    desk = await api.auth("desk@example.com")
    granted = await api.client.post(url, json={"scope": "treatment"}, headers=desk)
    assert granted.status_code == 201, granted.text
    own = await api.auth("pat@example.com")
    whatsapp = await api.client.post(url, json={"scope": "whatsapp_notifications"}, headers=own)
    assert whatsapp.status_code == 201

    revoked = await api.client.delete(f"{url}/{granted.json()['id']}", headers=own)
    assert revoked.status_code == 200 and revoked.json()["revokes"] == granted.json()["id"]
    assert_error(
        await api.client.delete(f"{url}/{granted.json()['id']}", headers=own), 404, "CONSENT_NOT_FOUND"
    )

    history = (await api.client.get(url, headers=desk)).json()["items"]
    assert [(r["scope"], r["revokes"]) for r in history] == [
        ("treatment", None),
        ("whatsapp_notifications", None),
        ("treatment", granted.json()["id"]),
    ]
    # Another patient, the clinic admin of another clinic, a bad scope: refused.
    other = await api.auth("other@example.com")
    assert_error(await api.client.get(url, headers=other), 404, "PATIENT_NOT_FOUND")
    assert_error(
        await api.client.post(url, json={"scope": "marketing"}, headers=desk), 400, "VALIDATION_ERROR"
    )
    assert_error(
        await api.client.get(f"{BASE}/{clinic}/patients/{other_patient}/consents", headers=own),
        404,
        "PATIENT_NOT_FOUND",
    )


async def test_consents_of_another_clinic_are_not_found(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    patient = await member(api, clinic, "pat@example.com", "PATIENT")
    other = await api.client.post(
        f"{BASE}", json={"name": "Elsewhere", "timeZone": "UTC"}, headers=await api.super_admin()
    )
    await member(api, other.json()["id"], "admin@elsewhere.example", "CLINIC_ADMIN")
    outsider = await api.auth("admin@elsewhere.example")
    url = f"{BASE}/{clinic}/patients/{patient}/consents"
    assert_error(await api.client.get(url, headers=outsider), 404, "PATIENT_NOT_FOUND")
    assert_error(
        await api.client.post(url, json={"scope": "treatment"}, headers=outsider), 404, "PATIENT_NOT_FOUND"
    )
    # A super admin manages clinics, not patients' records.
    assert_error(await api.client.get(url, headers=await api.super_admin()), 404, "PATIENT_NOT_FOUND")


async def test_break_glass_is_for_doctors_time_boxed_and_audited(api: Api) -> None:
    from uuid import UUID

    from application.ports.audit import AuditReader

    clinic = await api.demo_clinic_id()
    patient = await member(api, clinic, "pat@example.com", "PATIENT")
    await member(api, clinic, "doc@example.com", "DOCTOR")
    url = f"{BASE}/{clinic}/patients/{patient}/emergency-access"
    doctor = await api.auth("doc@example.com")
    opened = await api.client.post(
        url, json={"reason": "Unconscious on arrival", "minutes": 30}, headers=doctor
    )
    assert opened.status_code == 201, opened.text
    assert_error(
        await api.client.post(url, json={"reason": "x", "minutes": 30}, headers=doctor),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(
        await api.client.post(url, json={"reason": "Long enough", "minutes": 61}, headers=doctor),
        400,
        "VALIDATION_ERROR",
    )
    admin = await api.demo_clinic_admin()
    assert_error(
        await api.client.post(url, json={"reason": "Curious"}, headers=admin), 403, "INSUFFICIENT_PERMISSIONS"
    )
    async with api.container() as request:
        entries = await (await request.get(AuditReader)).entries(clinic_id=UUID(clinic))
    assert [e.action for e in entries].count("EMERGENCY_ACCESS_GRANTED") == 1
