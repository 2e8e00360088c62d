"""The Graph bodies the WhatsApp channel posts: equal to the golden files, and refused before
sending when they could never be right."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from adapters.whatsapp.channel import WhatsAppCloudChannel
from adapters.whatsapp.payloads import TemplateNames
from application.ports.messaging import PermanentSendFailure
from domain.messaging import Channel, OutboundMessage, Template
from fakes.whatsapp_messages import TEMPLATE_NAMES, channel_options, whatsapp_message

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def payload(message: OutboundMessage, **options: object) -> dict[str, object]:
    channel = WhatsAppCloudChannel(client=None, options=channel_options(**options))  # type: ignore[arg-type]
    return json.loads(channel.payload(message))


@pytest.mark.parametrize(
    ("template", "number", "golden"),
    [
        (Template.APPOINTMENT_REMINDER, 2, "whatsapp_appointment_reminder.json"),
        (Template.PRESCRIPTION_NOTICE, 3, "whatsapp_prescription_notice.json"),
        (Template.OTP, 1, "whatsapp_otp.json"),
    ],
)
def test_payload_equals_its_golden_file(template: Template, number: int, golden: str) -> None:
    expected = json.loads((GOLDEN / golden).read_text())
    assert payload(whatsapp_message(template, number=number)) == expected


def test_otp_carries_the_code_in_the_body_and_in_the_copy_code_button() -> None:
    components = payload(whatsapp_message(Template.OTP))["template"]["components"]  # type: ignore[index]
    body, button = components
    assert body["parameters"] == [{"type": "text", "text": "482913"}]
    assert button == {
        "type": "button",
        "sub_type": "url",
        "index": "0",
        "parameters": [{"type": "text", "text": "482913"}],
    }


def test_confirmation_uses_its_own_template_name_and_language() -> None:
    names = TemplateNames(
        names={**TEMPLATE_NAMES.names, Template.APPOINTMENT_CONFIRMATION: "booked"}, language="pt_PT"
    )
    template = payload(whatsapp_message(Template.APPOINTMENT_CONFIRMATION), templates=names)["template"]
    assert template["name"] == "booked"  # type: ignore[index]
    assert template["language"] == {"code": "pt_PT"}  # type: ignore[index]


def test_number_is_sent_without_the_plus() -> None:
    assert payload(whatsapp_message(recipient="+14155550123"))["to"] == "14155550123"


@pytest.mark.parametrize(
    "recipient", ["14155550123", "+0123456789", "+1 415 555 0123", "ana@example.com", "+12"]
)
def test_a_recipient_that_is_not_e164_is_refused_without_echoing_it(recipient: str) -> None:
    with pytest.raises(PermanentSendFailure) as refused:
        payload(whatsapp_message(recipient=recipient))
    assert recipient not in refused.value.reason


def test_a_missing_parameter_is_permanent_and_named_without_values() -> None:
    message = whatsapp_message(parameters={"clinic_name": "Harbour Clinic"})
    with pytest.raises(PermanentSendFailure, match="'starts_at'") as refused:
        payload(message)
    assert "Harbour" not in refused.value.reason


def test_blank_parameters_are_missing_and_whitespace_is_flattened() -> None:
    with pytest.raises(PermanentSendFailure):
        payload(whatsapp_message(Template.OTP, parameters={"code": "  "}))
    parameters = {"clinic_name": "Harbour\t  Clinic", "starts_at": "Mon 2 Mar\n09:30"}
    body = payload(whatsapp_message(parameters=parameters))["template"]["components"][0]  # type: ignore[index]
    assert [p["text"] for p in body["parameters"]] == ["Harbour Clinic", "Mon 2 Mar 09:30"]


def test_only_the_template_parameters_are_sent() -> None:
    parameters = {
        "clinic_name": "Harbour Clinic",
        "starts_at": "09:30",
        "diagnosis": "x",
        "doctor": "Dr. Reis",
    }
    sent = json.dumps(payload(whatsapp_message(parameters=parameters)))
    assert "diagnosis" not in sent and "Dr. Reis" not in sent


def test_an_unmapped_template_is_permanent() -> None:
    names = TemplateNames(names={Template.OTP: "otp_code"}, language="en_US")
    with pytest.raises(PermanentSendFailure, match="prescription_notice"):
        payload(whatsapp_message(Template.PRESCRIPTION_NOTICE), templates=names)


def test_an_email_message_is_refused() -> None:
    email = dataclasses.replace(whatsapp_message(), channel=Channel.EMAIL)
    with pytest.raises(PermanentSendFailure):
        payload(email)
