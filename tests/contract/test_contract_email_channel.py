"""The SMTP channel against a real SMTP server on loopback (tests/smtp_sink.py): what it sends, and
how each kind of refusal is classified for the relay."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.email.smtp_channel import SmtpEmailChannel, SmtpOptions
from application.ports.messaging import (
    ChannelUnauthorized,
    OutcomeUnknown,
    PermanentSendFailure,
    SendFailure,
    TransientSendFailure,
)
from domain.messaging import Channel, OutboundMessage, Template
from smtp_sink import SmtpSink

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.stop()


def channel(port: int, **options) -> SmtpEmailChannel:
    fields = {
        "host": "127.0.0.1",
        "port": port,
        "from_address": "no-reply@clinic.example",
        "timeout_seconds": 2,
    }
    return SmtpEmailChannel(SmtpOptions(**(fields | options)))


def message(template: Template = Template.OTP, **parameters: str) -> OutboundMessage:
    return OutboundMessage(
        id=uuid.uuid4(),
        channel=Channel.EMAIL,
        recipient="ana.silva@example.org",
        template=template,
        parameters=parameters or {"code": "602214", "ttl_minutes": "5"},
        idempotency_key="otp:1",
        not_before=NOW,
        created_at=NOW,
    )


async def test_a_message_goes_out_as_text_and_html_with_a_stable_message_id(sink: SmtpSink) -> None:
    sent = message()

    delivery = await channel(sink.port).send(sent)

    [received] = sink.received
    assert (received.sender, received.recipients) == ("no-reply@clinic.example", ["ana.silva@example.org"])
    email = received.message
    assert email["Subject"] == "Your sign-in code" and email["To"] == "ana.silva@example.org"
    assert email["Message-ID"] == f"<{sent.id}@clinic.example>" == delivery.provider_message_id
    text, html = (part.get_payload(decode=True).decode() for part in email.get_payload())
    assert "602214" in text and "5 minutes" in text
    assert "<p>Your sign-in code is 602214." in html


async def test_parameters_are_escaped_in_html(sink: SmtpSink) -> None:
    await channel(sink.port).send(
        message(
            Template.PRESCRIPTION_NOTICE, clinic_name="<b>Quay</b> & Co", link="https://x.example/d?a=1&b=2"
        )
    )

    text, html = (p.get_payload(decode=True).decode() for p in sink.received[0].message.get_payload())
    assert "&lt;b&gt;Quay&lt;/b&gt; &amp; Co" in html and "<b>Quay</b> & Co" in text
    assert "https://x.example/d?a=1&amp;b=2" in html


async def test_it_logs_in_when_given_a_user_name() -> None:
    sink = await SmtpSink(auth=True).start()
    try:
        await channel(sink.port, username="mailer", password="s3cret").send(message())
        assert len(sink.received) == 1
    finally:
        await sink.stop()


@pytest.mark.parametrize(
    ("command", "answer", "kind"),
    [
        ("AUTH", "535 5.7.8 authentication failed", ChannelUnauthorized),
        ("MAIL", "550 5.7.1 sender not allowed", ChannelUnauthorized),
        ("MAIL", "451 4.3.0 try later", TransientSendFailure),
        ("RCPT", "550 5.1.1 no such user ana.silva@example.org", PermanentSendFailure),
        ("RCPT", "452 4.2.2 mailbox full", TransientSendFailure),
        ("DATA", "554 5.7.1 rejected", PermanentSendFailure),
        ("DATA_END", "451 4.7.1 greylisted", TransientSendFailure),
        ("DATA_END", "552 5.3.4 message too big", PermanentSendFailure),
    ],
)
async def test_refusals_are_classified_by_their_code(command: str, answer: str, kind: type) -> None:
    sink = await SmtpSink(auth=True, answers={command: answer}).start()
    try:
        with pytest.raises(SendFailure) as caught:
            await channel(sink.port, username="mailer", password="x").send(message())
    finally:
        await sink.stop()
    assert type(caught.value) is kind
    assert "ana.silva" not in caught.value.reason  # reasons are stored and logged: no addresses


async def test_no_answer_after_the_content_left_is_an_unknown_outcome() -> None:
    sink = await SmtpSink(answers={"DATA_END": "hang"}).start()
    try:
        with pytest.raises(OutcomeUnknown):
            await channel(sink.port, timeout_seconds=0.5).send(message())
    finally:
        await sink.stop()


async def test_an_unreachable_server_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(TransientSendFailure):
        await channel(closed_port).send(message())


async def test_a_message_missing_a_parameter_can_never_be_sent(sink: SmtpSink) -> None:
    with pytest.raises(PermanentSendFailure, match="needs parameter link"):
        await channel(sink.port).send(message(Template.PRESCRIPTION_NOTICE, clinic_name="Quay"))
    assert sink.received == []
