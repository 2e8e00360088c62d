"""The WhatsApp channel against the fake Graph API over real HTTP on loopback: what Graph takes,
each documented error code, broken answers, timeouts and pacing."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from adapters.whatsapp.channel import WhatsAppCloudChannel, create_http_client
from adapters.whatsapp.payloads import TemplateNames
from application.ports.messaging import (
    ChannelThrottled,
    ChannelUnauthorized,
    OutcomeUnknown,
    PermanentSendFailure,
    RecipientThrottled,
    SendFailure,
    TransientSendFailure,
)
from domain.messaging import Template
from fakes.graph_api import FakeGraphApi, Malformed, TemplateSpec
from fakes.whatsapp_messages import TEMPLATE_NAMES, channel_options, whatsapp_message

DOCUMENTED: dict[int, type[SendFailure]] = {
    **dict.fromkeys((1, 2, 131000, 131016, 131057), TransientSendFailure),
    **dict.fromkeys((4, 80007, 130429), ChannelThrottled),
    131056: RecipientThrottled,
    **dict.fromkeys((0, 10, 190, 200, 299), ChannelUnauthorized),
    **dict.fromkeys(
        (100, 131008, 131009, 131026, 131047, 132000, 132001, 132015, 132016), PermanentSendFailure
    ),
}


@pytest.fixture(scope="module")
def shared_graph() -> Iterator[FakeGraphApi]:
    with FakeGraphApi() as fake:
        yield fake


@pytest.fixture
def graph(shared_graph: FakeGraphApi) -> Iterator[FakeGraphApi]:
    """One server for the module (starting one costs a fifth of a second), reset for each test."""
    templates = dict(shared_graph.templates)
    shared_graph.reset()
    yield shared_graph
    shared_graph.templates = templates


async def open_channel(url: str, **options: Any) -> AsyncIterator[WhatsAppCloudChannel]:
    settings = channel_options(url, **options)
    client = create_http_client(settings)
    try:
        yield WhatsAppCloudChannel(client, settings)
    finally:
        await client.aclose()


@pytest.fixture
async def channel(graph: FakeGraphApi) -> AsyncIterator[WhatsAppCloudChannel]:
    async for opened in open_channel(graph.url):
        yield opened


@pytest.mark.parametrize("template", list(Template))
async def test_graph_accepts_every_template_and_answers_its_ids(
    graph: FakeGraphApi, channel: WhatsAppCloudChannel, template: Template
) -> None:
    message = whatsapp_message(template)
    delivery = await channel.send(message)
    (accepted,) = graph.accepted
    assert delivery.provider_message_id == accepted.wamid
    assert delivery.provider_recipient_id == "351912345678" == accepted.to
    assert accepted.callback_data == str(message.id)
    (request,) = graph.received
    assert request.path == "/v21.0/1234567890/messages"
    assert request.headers["authorization"] == "Bearer test-token"
    assert request.headers["content-type"] == "application/json"
    assert request.body == channel.payload(message)


@pytest.mark.parametrize(("code", "kind"), DOCUMENTED.items())
@pytest.mark.parametrize("http_status", [400, 500])
async def test_each_documented_code_maps_to_its_class(
    graph: FakeGraphApi, channel: WhatsAppCloudChannel, code: int, kind: type[SendFailure], http_status: int
) -> None:
    graph.fail_next(code, http_status=http_status)
    message = whatsapp_message(Template.OTP)
    with pytest.raises(SendFailure) as refused:
        await channel.send(message)
    assert type(refused.value) is kind
    assert refused.value.reason.startswith(f"graph {code}: ")
    assert "482913" not in refused.value.reason and "351912345678" not in refused.value.reason


async def test_the_registry_refuses_an_unknown_template_and_a_wrong_parameter_count(
    graph: FakeGraphApi,
) -> None:
    async for channel in open_channel(
        graph.url, templates=_renamed(Template.APPOINTMENT_REMINDER, "no_such")
    ):
        with pytest.raises(PermanentSendFailure, match="graph 132001"):
            await channel.send(whatsapp_message())
    graph.templates[("appointment_reminder", "en_US")] = TemplateSpec(5)
    async for channel in open_channel(graph.url):
        with pytest.raises(PermanentSendFailure, match="graph 132000"):
            await channel.send(whatsapp_message())
        graph.templates[("otp_code", "en_US")] = TemplateSpec(1, 0)
        with pytest.raises(PermanentSendFailure, match="graph 132000"):
            await channel.send(whatsapp_message(Template.OTP))
    assert graph.accepted == []


async def test_a_wrong_token_pauses_the_channel(graph: FakeGraphApi) -> None:
    async for channel in open_channel(graph.url, access_token="expired"):
        with pytest.raises(ChannelUnauthorized, match="graph 190"):
            await channel.send(whatsapp_message())


@pytest.mark.parametrize("kind", list(Malformed))
async def test_broken_answers_are_transient(
    graph: FakeGraphApi, channel: WhatsAppCloudChannel, kind: Malformed
) -> None:
    graph.malformed_next(kind)
    with pytest.raises(TransientSendFailure):
        await channel.send(whatsapp_message())
    assert graph.received[0].outcome == kind.value
    graph.accepted.clear()
    assert (await channel.send(whatsapp_message())).provider_message_id  # the channel still works


async def test_a_read_timeout_after_the_request_left_is_outcome_unknown(graph: FakeGraphApi) -> None:
    graph.delay_next(10.0)
    message = whatsapp_message()
    async for channel in open_channel(graph.url, request_timeout_seconds=0.3):
        with pytest.raises(OutcomeUnknown):
            await channel.send(message)
    # Graph took it: only a status webhook can tell us (see tests/http/test_whatsapp_webhooks.py).
    assert [m.callback_data for m in graph.accepted] == [str(message.id)]


async def test_an_unreachable_graph_is_transient() -> None:
    with FakeGraphApi() as stopped:
        url = stopped.url
    async for channel in open_channel(url):
        with pytest.raises(TransientSendFailure, match="unreachable"):
            await channel.send(whatsapp_message())


@pytest.mark.parametrize(
    ("raised", "kind"),
    [
        (httpx.ConnectTimeout("connect"), TransientSendFailure),
        (httpx.ConnectError("refused"), TransientSendFailure),
        (httpx.PoolTimeout("pool"), TransientSendFailure),
        (httpx.WriteTimeout("write"), TransientSendFailure),
        (httpx.ReadTimeout("read"), OutcomeUnknown),
        (httpx.ReadError("reset"), OutcomeUnknown),
        (httpx.RemoteProtocolError("closed without answer"), OutcomeUnknown),
    ],
)
async def test_transport_failures_before_and_after_sending(
    raised: Exception, kind: type[SendFailure]
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise raised

    async with httpx.AsyncClient(transport=httpx.MockTransport(fail)) as client:
        with pytest.raises(SendFailure) as refused:
            await WhatsAppCloudChannel(client, channel_options()).send(whatsapp_message())
    assert type(refused.value) is kind


async def test_retry_after_is_passed_on_to_the_relay() -> None:
    def throttle(request: httpx.Request) -> httpx.Response:
        error = {"error": {"code": 130429, "message": "(#130429) Rate limit hit"}}
        return httpx.Response(400, json=error, headers={"Retry-After": "7"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(throttle)) as client:
        with pytest.raises(ChannelThrottled) as refused:
            await WhatsAppCloudChannel(client, channel_options()).send(whatsapp_message())
    assert refused.value.retry_after_seconds == 7.0


async def test_over_the_rate_limit_graph_throttles_the_channel() -> None:
    with FakeGraphApi(messages_per_second=3) as graph:
        async for channel in open_channel(graph.url):
            outcomes = []
            for number in range(8):
                try:
                    await channel.send(whatsapp_message(number=number))
                    outcomes.append("sent")
                except ChannelThrottled as throttled:
                    outcomes.append(throttled.reason)
        assert "graph 130429: (#130429) Rate limit hit" in outcomes
        assert len(graph.accepted) < 8


async def test_pacing_keeps_under_graph_rate_limit() -> None:
    with FakeGraphApi(messages_per_second=15) as graph:
        async for channel in open_channel(graph.url, messages_per_second=10):
            started = time.monotonic()
            for number in range(12):
                await channel.send(whatsapp_message(number=number))
            elapsed = time.monotonic() - started
        assert len(graph.accepted) == 12
        assert elapsed >= 1.05  # 12 sends at 10 per second span 1.1 s
        assert all(json.loads(r.body)["to"] == "351912345678" for r in graph.received)


def _renamed(template: Template, name: str) -> TemplateNames:
    return TemplateNames(names={**TEMPLATE_NAMES.names, template: name}, language=TEMPLATE_NAMES.language)
