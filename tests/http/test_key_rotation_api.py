"""`healthcare keys rotate` over every kind of sealed PHI: after a rotation no value is left under
the retired key, and with that key gone from the ring everything still reads through the API."""

from __future__ import annotations

import argparse
import base64
import os
from pathlib import Path

from http_api import embedded_settings, open_api
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from test_statement_budgets import PREFIX, make_world

from adapters.sql.schema import metadata
from adapters.sql.sealed_columns import SEALED_COLUMNS
from application.ports.crypto import FieldCipher
from entrypoints import cli_keys

OLD = base64.b64encode(os.urandom(32)).decode()
NEW = base64.b64encode(os.urandom(32)).decode()


async def test_every_sealed_column_is_rotated_and_reads_back_without_the_old_key(tmp_path: Path) -> None:
    def settings(ring: str):
        return embedded_settings(tmp_path, SECURITY_PHI_ENCRYPTION_KEY=ring, CACHE_ENABLED="false")

    async for api in open_api(settings(f"old:{OLD}")):
        world = await make_world(api)
        ids, desk, doctor = world.ids, world.callers["receptionist"], world.callers["doctor"]
        clinic, record = ids["clinic_id"], ids["record_id"]
        cancelled = await api.client.post(
            f"{PREFIX}/appointments/{ids['appointment_id']}/cancel",
            json={"reason": "Feeling better"},
            headers=desk,
        )
        assert cancelled.status_code == 200, cancelled.text
        again = {
            "clinicId": clinic,
            "locationId": ids["location_id"],
            "doctorId": ids["doctor_id"],
            "patientId": record,
            "startsAt": "2030-01-15T09:00:00Z",
            "reason": "Back pain",
        }
        booked = await api.client.post(
            f"{PREFIX}/appointments", json=again, headers={**desk, "Idempotency-Key": "rotation-1"}
        )
        assert booked.status_code == 201, booked.text
        grant = await api.client.post(
            f"{PREFIX}/clinics/{clinic}/patients/{record}/emergency-access",
            json={"reason": "Unconscious on arrival", "minutes": 30},
            headers=doctor,
        )
        assert grant.status_code == 201, grant.text
        code = await api.client.post(
            f"{PREFIX}/auth/request-otp", json={"email": "ana@example.com", "deliveryMethod": "email"}
        )
        assert code.status_code == 202, code.text

    async for api in open_api(settings(f"new:{NEW},old:{OLD}")):
        args = argparse.Namespace(batch_size=2)
        assert await cli_keys.run(args, api.settings) == 0
        engine = await api.container.get(AsyncEngine)
        cipher = await api.container.get(FieldCipher)
        async with engine.connect() as connection:
            for sealed in SEALED_COLUMNS:
                column = metadata.tables[sealed.table].c[sealed.column]
                values = (await connection.execute(select(column).where(column.is_not(None)))).scalars().all()
                # Only WhatsApp deliveries store a provider recipient (tests/contract covers the rest).
                if sealed.column != "provider_recipient_sealed":
                    assert values, f"the world has no {sealed.table}.{sealed.column} to rotate"
                assert {cipher.key_id_of(bytes(v)) for v in values} <= {"new"}, sealed

    async for api in open_api(settings(f"new:{NEW}")):  # the old key retired
        patient = await api.client.get(f"{PREFIX}/clinics/{clinic}/patients/{record}", headers=desk)
        assert patient.status_code == 200 and patient.json()["name"] == "Ana Lima"
        appointment = await api.client.get(f"{PREFIX}/appointments/{booked.json()['id']}", headers=desk)
        assert appointment.json()["reason"] == "Back pain"
        gone = await api.client.get(f"{PREFIX}/appointments/{ids['appointment_id']}", headers=desk)
        assert gone.json()["cancellation"]["reason"] == "Feeling better"
        prescription = await api.client.get(
            f"{PREFIX}/prescriptions/{ids['prescription_id']}", headers=doctor
        )
        assert (
            prescription.status_code == 200 and prescription.json()["medications"][0]["name"] == "Amoxicillin"
        )
        verified = await api.client.get(
            f"{PREFIX}/prescriptions/{ids['prescription_id']}/verify", headers=doctor
        )
        assert verified.json()["valid"] is True
        replay = await api.client.post(
            f"{PREFIX}/appointments", json=again, headers={**desk, "Idempotency-Key": "rotation-1"}
        )
        assert replay.status_code == 201 and replay.json()["id"] == booked.json()["id"]
        export = await api.client.get(
            f"{PREFIX}/clinics/{clinic}/patients/{record}/export", headers=world.callers["admin"]
        )
        assert export.status_code == 200 and "Unconscious on arrival" in export.text
