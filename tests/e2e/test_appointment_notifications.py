"""What a patient is told about an appointment, end to end: the production API and the real
``healthcare worker`` (its dispatcher turns domain events into outbox messages, its relay sends
them) against the fake WhatsApp Graph API and a local SMTP server.

- A patient with a phone and the ``whatsapp_notifications`` consent books: WhatsApp receives the
  confirmation template with the clinic's name and the clinic-local date and time, nothing else
  (no reason for the visit); the 24 h and 2 h reminders wait in the outbox, the 2 h one moved out
  of the quiet hours (07:00 -> 20:59 the evening before).
- Cancelling voids the pending reminders and sends a cancellation notice.
- A patient without the consent is told by email instead, and nothing goes to their phone.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_clinic import ZONE, Person, seed
from live_deployment import WHATSAPP, deployment, eventually, outbox_rows

from fakes.graph_api import FakeGraphApi
from smtp_sink import SmtpSink

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ADA = Person("Ada Lovelace", "+4915112340001", "ada@patients.example", whatsapp=True)
BOB = Person("Bob Builder", "+4915112340002", "bob@patients.example", whatsapp=False)
REASON = "Recurring chest pain after exercise"


def local_text(moment: datetime) -> str:
    """How the clinic's wall time reads in a message: ``Thu 2 Apr 2026, 09:00 (Europe/Berlin)``."""
    local = moment.astimezone(ZONE)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({ZONE.key})"


def reminders(rows: list[dict[str, Any]], appointment: str) -> list[dict[str, Any]]:
    prefix = f"appointment:{appointment}:reminder:"
    return sorted((r for r in rows if r["idempotency_key"].startswith(prefix)), key=lambda r: r["not_before"])


async def test_a_booking_is_confirmed_on_whatsapp_reminded_outside_quiet_hours_and_voided_on_cancel(
    tmp_path: Path,
) -> None:
    began = time.monotonic()
    sink = SmtpSink().start_in_thread()
    graph = FakeGraphApi().start()
    try:
        extra = {**WHATSAPP, "WHATSAPP_API_URL": graph.url, "EMAIL_SMTP_PORT": str(sink.port)}
        extra["EMAIL_SMTP_HOST"] = "127.0.0.1"  # not the container default
        async with deployment(tmp_path, **extra) as d:
            with d.processes() as run:
                (api,) = run.apis("api")
                world = await seed(api.url, d, people=[ADA, BOB])
                run.workers("worker")
                async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
                    starts = world.at(9)
                    booked = await client.post(
                        "/api/v1/appointments", json=world.booking(starts, reason=REASON), headers=world.desk
                    )
                    assert booked.status_code == 201, booked.text
                    appointment = booked.json()["id"]

                    # The confirmation reaches WhatsApp with the clinic and the local time only.
                    def confirmed() -> list[Any]:
                        return [a for a in graph.accepted if a.template == "appointment_confirmation"]

                    await eventually(confirmed, "the confirmation on WhatsApp")
                    (confirmation,) = confirmed()
                    assert confirmation.to == str(ADA.phone).lstrip("+")
                    assert confirmation.language == "en_US"
                    assert confirmation.body_parameters == [world.clinic_name, local_text(starts)]
                    assert all(b"chest pain" not in r.body.lower() for r in graph.received)

                    # The reminders wait: 24 h before, and 2 h before moved out of the quiet hours.
                    rows = await outbox_rows(d)
                    sent = next(r for r in rows if r["template"] == "appointment_confirmation")
                    assert confirmation.callback_data == str(sent["id"])
                    assert (sent["channel"], sent["status"]) == ("whatsapp", "SENT")
                    pending = reminders(rows, appointment)
                    evening_before = datetime.combine(
                        world.day - timedelta(days=1), datetime.min.time(), ZONE
                    )
                    assert [(r["template"], r["channel"], r["status"]) for r in pending] == [
                        ("appointment_reminder", "whatsapp", "PENDING")
                    ] * 2
                    assert [r["not_before"] for r in pending] == [
                        starts.astimezone(UTC) - timedelta(hours=24),
                        (evening_before + timedelta(hours=20, minutes=59)).astimezone(UTC),
                    ]

                    # Cancelling voids them, and the patient is told.
                    cancelled = await client.post(
                        f"/api/v1/appointments/{appointment}/cancel",
                        json={"reason": "Feeling better"},
                        headers=world.desk,
                    )
                    assert cancelled.status_code == 200, cancelled.text

                    async def voided() -> bool:
                        return all(
                            r["status"] == "VOID" for r in reminders(await outbox_rows(d), appointment)
                        )

                    await eventually(voided, "the reminders to be voided")
                    await eventually(
                        lambda: any(a.template == "appointment_cancellation" for a in graph.accepted),
                        "the cancellation notice",
                    )
                    (notice,) = [a for a in graph.accepted if a.template == "appointment_cancellation"]
                    assert notice.body_parameters == [world.clinic_name, local_text(starts)]

                    # Without the consent: email, never WhatsApp.
                    later = world.at(10)
                    booked = await client.post(
                        "/api/v1/appointments",
                        json=world.booking(later, patient=1, reason=REASON),
                        headers=world.desk,
                    )
                    assert booked.status_code == 201, booked.text
                    bobs = booked.json()["id"]
                    await eventually(lambda: sink.received, "the confirmation by email")
                    (mail,) = sink.received
                    assert mail.recipients == [BOB.email]
                    content = mail.message.as_string()
                    assert world.clinic_name in content and "chest pain" not in content.lower()
                    assert all(a.to != str(BOB.phone).lstrip("+") for a in graph.accepted)
                    rows = await outbox_rows(d)
                    assert {(r["channel"], r["status"]) for r in reminders(rows, bobs)} == {
                        ("email", "PENDING")
                    }
                    # 08:00 is the end of the quiet hours, outside them: the 2 h reminder keeps its time.
                    assert [r["not_before"] for r in reminders(rows, bobs)] == [
                        later.astimezone(UTC) - timedelta(hours=24),
                        later.astimezone(UTC) - timedelta(hours=2),
                    ]
                    assert {r["channel"] for r in rows if r["template"] == "appointment_confirmation"} == {
                        "whatsapp",
                        "email",
                    }
                    assert {str(r["clinic_id"]) for r in rows} == {world.clinic}
            run.assert_clean_logs()
            for name in ("api", "worker"):  # no address, phone or reason in any log line
                log = run.log(name)
                for secret in (ADA.phone, ADA.email, BOB.phone, BOB.email, REASON):
                    assert secret not in log, (name, secret)
    finally:
        graph.stop()
        sink.stop_thread()
    assert time.monotonic() - began < 60
