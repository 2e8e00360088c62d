"""The console channel and the email templates."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime

import pytest

from adapters.console.channel import ConsoleChannel
from adapters.email.templates import MissingParameter, render
from domain.messaging import Channel, OutboundMessage, Template

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PARAMETERS = {
    Template.OTP: {"code": "602214", "ttl_minutes": "5"},
    Template.APPOINTMENT_CONFIRMATION: {"clinic_name": "Quay", "starts_at": "Mon 2 Mar, 09:30 (Lisbon)"},
    Template.APPOINTMENT_REMINDER: {"clinic_name": "Quay", "starts_at": "Mon 2 Mar, 09:30 (Lisbon)"},
    Template.APPOINTMENT_CANCELLATION: {"clinic_name": "Quay", "starts_at": "Mon 2 Mar, 09:30 (Lisbon)"},
    Template.PRESCRIPTION_NOTICE: {"clinic_name": "Quay", "link": "https://clinic.example/d/abc"},
}


def message(channel: Channel = Channel.WHATSAPP) -> OutboundMessage:
    return OutboundMessage(
        id=uuid.uuid4(),
        channel=channel,
        recipient="+14155550100",
        template=Template.OTP,
        parameters=PARAMETERS[Template.OTP],
        idempotency_key="otp:1",
        not_before=NOW,
        created_at=NOW,
    )


async def test_the_console_prints_the_message_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    sent = message()

    delivery = await ConsoleChannel(Channel.WHATSAPP).send(sent)

    out = capsys.readouterr()
    assert out.out == "[whatsapp to +14155550100] otp: code=602214 ttl_minutes=5\n" and out.err == ""
    assert delivery.provider_message_id == f"console-{sent.id}"


async def test_the_console_writes_to_a_given_stream() -> None:
    stream = io.StringIO()
    await ConsoleChannel(Channel.EMAIL, stream).send(message(Channel.EMAIL))
    assert stream.getvalue().startswith("[email to +14155550100] otp: ")


@pytest.mark.parametrize("template", list(Template))
def test_every_template_renders_text_and_html_with_its_parameters(template: Template) -> None:
    email = render(template, PARAMETERS[template])

    assert email.subject and email.text.strip() and email.html.startswith("<!doctype html>")
    for value in PARAMETERS[template].values():
        assert value in email.text and value in email.html


@pytest.mark.parametrize("template", list(Template))
def test_a_missing_parameter_is_named_and_its_value_never_shown(template: Template) -> None:
    parameters = dict(PARAMETERS[template])
    missing = sorted(parameters)[0]
    del parameters[missing]

    with pytest.raises(MissingParameter, match=f"needs parameter {missing}"):
        render(template, parameters)


def test_messages_carry_no_clinical_detail() -> None:
    text = " ".join(render(t, PARAMETERS[t]).text.lower() for t in Template)
    for word in ("diagnos", "medication", "dose", "mg", "condition", "result"):
        assert word not in text
