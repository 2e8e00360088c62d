"""The whole WhatsApp path in one process: the outbox, the embedded relay, the Cloud API channel,
the fake Graph API over HTTP, its signed status webhooks back through the app, and the stored rows.

Duplicated, shuffled and late reports leave one row per message that only moved forward; a send
whose answer never came is UNCERTAIN until its webhook confirms it, and is never sent twice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from http_api import Api
from whatsapp_api import SECRET, enqueue, eventually, open_webhook_api, outbox_rows, signed

from domain.messaging import MessageStatus, OutboundMessage
from fakes.graph_api import FakeGraphApi
from fakes.graph_webhooks import WEBHOOK_PATH, StatusEvent, deliver, status_notification
from fakes.whatsapp_messages import whatsapp_message

S = MessageStatus


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    with FakeGraphApi(app_secret=SECRET) as fake:
        yield fake


@pytest.fixture
async def api(tmp_path: Path, graph: FakeGraphApi) -> AsyncIterator[Api]:
    async for ready in open_webhook_api(tmp_path, graph):
        yield ready


async def relayed(api: Api, graph: FakeGraphApi, count: int) -> list[OutboundMessage]:
    """``count`` messages added to the outbox and sent by the relay to the fake (SENT)."""
    messages = [whatsapp_message(number=n) for n in range(1, count + 1)]
    await enqueue(api, *messages)

    async def all_sent() -> bool:
        rows = await outbox_rows(api)
        return len(rows) == count and all(row.status is S.SENT for row in rows.values())

    await eventually(all_sent, f"{count} messages SENT")
    return messages


async def test_duplicated_and_shuffled_statuses_leave_one_row_per_message_read(
    api: Api, graph: FakeGraphApi
) -> None:
    messages = await relayed(api, graph, 5)
    hooks = graph.status_webhooks(("sent", "delivered", "read"), duplicates=2, shuffle=True, seed=7)
    assert len(hooks) == 5 * 3 * 3
    assert set(await deliver(hooks, WEBHOOK_PATH, api.client)) == {200}
    rows = await outbox_rows(api)
    assert set(rows) == {m.id for m in messages}
    assert {row.status for row in rows.values()} == {S.READ}
    wamids = {a.callback_data: a.wamid for a in graph.accepted}
    assert all(row.provider_message_id == wamids[str(row.id)] for row in rows.values())
    assert len(graph.received) == 5


async def test_delivered_after_read_changes_nothing(api: Api, graph: FakeGraphApi) -> None:
    (message,) = await relayed(api, graph, 1)
    read, delivered = graph.status_webhooks(("read", "delivered"))
    first = await api.client.post(WEBHOOK_PATH, content=read.body, headers=read.headers())
    late = await api.client.post(WEBHOOK_PATH, content=delivered.body, headers=delivered.headers())
    assert first.json() == {"statuses": 1, "applied": 1}
    assert late.json() == {"statuses": 1, "applied": 0}
    assert (await outbox_rows(api))[message.id].status is S.READ


async def test_a_failed_status_with_a_permanent_code_fails_the_message(api: Api, graph: FakeGraphApi) -> None:
    (message,) = await relayed(api, graph, 1)
    hooks = graph.status_webhooks(
        ("sent", "failed"), error_code=131026, error_title="Undeliverable", duplicates=1
    )
    assert set(await deliver(hooks, WEBHOOK_PATH, api.client)) == {200}
    row = (await outbox_rows(api))[message.id]
    assert row.status is S.FAILED
    assert row.last_error is not None and "131026" in row.last_error


async def test_a_failed_status_with_a_transient_code_sends_again(api: Api, graph: FakeGraphApi) -> None:
    (message,) = await relayed(api, graph, 1)
    (failed,) = graph.status_webhooks(("failed",), error_code=131000, error_title="Something went wrong")
    assert (
        await api.client.post(WEBHOOK_PATH, content=failed.body, headers=failed.headers())
    ).status_code == 200

    async def sent_again() -> bool:
        return len(graph.accepted) == 2 and (await outbox_rows(api))[message.id].status is S.SENT

    await eventually(sent_again, "the message sent a second time")


async def test_statuses_of_unknown_messages_are_acknowledged_and_change_nothing(
    api: Api, graph: FakeGraphApi
) -> None:
    (message,) = await relayed(api, graph, 1)
    event = StatusEvent(wamid="wamid.somebody-else", status="read", recipient_id="351900000000", timestamp=1)
    body = status_notification(
        [event], business_account_id="1", phone_number_id=graph.phone_number_id, display_number="2"
    )
    response = await api.client.post(WEBHOOK_PATH, content=body, headers=signed(body))
    assert response.json() == {"statuses": 1, "applied": 0}
    assert (await outbox_rows(api))[message.id].status is S.SENT


async def test_a_send_without_an_answer_is_uncertain_until_its_webhook_and_never_resent(
    api: Api, graph: FakeGraphApi
) -> None:
    graph.delay_next(10.0)  # Graph takes the message, then answers after the channel gave up
    message = whatsapp_message(number=9)
    await enqueue(api, message)

    async def uncertain() -> bool:
        row = (await outbox_rows(api)).get(message.id)
        return row is not None and row.status is S.UNCERTAIN

    await eventually(uncertain, "the message UNCERTAIN")
    assert (await outbox_rows(api))[message.id].provider_message_id is None

    hooks = graph.status_webhooks(("sent", "delivered"), duplicates=1, shuffle=True, seed=3)
    assert set(await deliver(hooks, WEBHOOK_PATH, api.client)) == {200}
    row = (await outbox_rows(api))[message.id]
    (accepted,) = graph.accepted
    assert row.status is S.DELIVERED
    assert row.provider_message_id == accepted.wamid  # found by our id, echoed in the webhook
    assert len(graph.received) == 1  # sent once
