"""Every logger at DEBUG, JSON lines, through a full sign-in with a code and a booking with a
reason: no code, token, secret, phone, email, name or reason reaches the log."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from http_api import embedded_settings, open_api
from test_otp_api import Recording, RecordingOutbox
from test_statement_budgets import PREFIX, make_world

from domain.messaging import Template
from entrypoints.logging_setup import configure_logging

JWT_SECRET = "debug-log-test-signing-secret-0123456789"


async def test_a_sign_in_and_a_booking_at_debug_leave_no_secret_or_phi_in_the_log(tmp_path: Path) -> None:
    settings = embedded_settings(
        tmp_path, LOGGING_LEVEL="DEBUG", LOGGING_FORMAT="json", JWT_SECRET=JWT_SECRET
    )
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging(settings)
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    outbox = RecordingOutbox()
    try:
        async for api in open_api(settings, Recording(outbox)):
            world = await make_world(api)
            ids = world.ids
            requested = await api.client.post(
                f"{PREFIX}/auth/request-otp", json={"email": "ana@example.com", "deliveryMethod": "email"}
            )
            assert requested.status_code == 202
            # The in-process dispatcher may have sent her other messages (the world's prescription).
            code = next(
                m.parameters["code"]
                for m in outbox.sent
                if m.recipient == "ana@example.com" and m.template is Template.OTP
            )
            signed_in = await api.client.post(
                f"{PREFIX}/auth/verify-otp", json={"email": "ana@example.com", "code": code}
            )
            assert signed_in.status_code == 200, signed_in.text
            tokens = signed_in.json()
            patient = {"Authorization": f"Bearer {tokens['accessToken']}"}
            booked = await api.client.post(
                f"{PREFIX}/appointments",
                json={
                    "clinicId": ids["clinic_id"],
                    "locationId": ids["location_id"],
                    "doctorId": ids["doctor_id"],
                    "patientId": ids["record_id"],
                    "startsAt": "2030-01-20T09:00:00Z",
                    "reason": "Crushing chest pain",
                },
                headers=patient,
            )
            assert booked.status_code == 201, booked.text
            mine = await api.client.get(f"{PREFIX}/appointments/{booked.json()['id']}", headers=patient)
            assert mine.json()["reason"] == "Crushing chest pain"
            refreshed = await api.client.post(
                f"{PREFIX}/auth/refresh", json={"refreshToken": tokens["refreshToken"]}
            )
            assert refreshed.status_code == 200
    finally:
        root.handlers[:], root.level = saved
    text = stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert any(line["level"] == "DEBUG" for line in lines), "nothing was logged at DEBUG"
    assert any(line.get("userId") for line in lines), "no line names its user"
    for leak in (
        code,
        tokens["accessToken"],
        tokens["refreshToken"],
        refreshed.json()["accessToken"],
        JWT_SECRET,
        "ana@example.com",
        "+34600000111",
        "600000111",
        "Ana Lima",
        "Crushing chest pain",
        "Amoxicillin",
    ):
        assert leak not in text, f"{leak[:12]}... reached the log"
