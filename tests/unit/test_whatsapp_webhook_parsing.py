"""Reading webhook notifications: statuses become StatusUpdates, inbound messages are counted,
anything unknown is ignored, and a body that is no notification is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from adapters.whatsapp.webhooks import WebhookPayloadInvalid, read_notification
from domain.messaging import MessageStatus
from fakes.graph_webhooks import StatusEvent, status_notification

VECTOR = json.loads(
    (Path(__file__).resolve().parents[1] / "testdata/whatsapp-webhook-vector.json").read_text()
)
OURS = UUID("01900000-0000-7000-8000-000000000007")


def notification(*events: StatusEvent) -> bytes:
    return status_notification(events, business_account_id="1", phone_number_id="2", display_number="3")


def event(status: str, **extra: object) -> StatusEvent:
    return StatusEvent(
        wamid="wamid.A", status=status, recipient_id="351912345678", timestamp=1772355600, **extra
    )  # type: ignore[arg-type]


def test_statuses_become_updates_in_order_with_our_id() -> None:
    body = notification(event("sent", callback_data=str(OURS)), event("delivered"), event("read"))
    updates = read_notification(body).statuses
    assert [u.status for u in updates] == [MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ]
    assert {u.provider_message_id for u in updates} == {"wamid.A"}
    assert updates[0].message_id == OURS and updates[1].message_id is None
    assert updates[0].at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert updates[0].error_code is None and not updates[0].permanent


@pytest.mark.parametrize(
    ("code", "permanent"), [(131026, True), (132001, True), (131000, False), (131049, False)]
)
def test_failed_carries_its_code_and_whether_it_is_permanent(code: int, permanent: bool) -> None:
    (update,) = read_notification(notification(event("failed", error_code=code, error_title="Why"))).statuses
    assert update.status is MessageStatus.FAILED
    assert (update.error_code, update.error_reason, update.permanent) == (str(code), "Why", permanent)


def test_unknown_statuses_and_foreign_callback_data_are_ignored() -> None:
    body = notification(event("deleted"), event("warning"), event("sent", callback_data="campaign-7"))
    (update,) = read_notification(body).statuses
    assert update.status is MessageStatus.SENT and update.message_id is None


def test_inbound_messages_are_counted_not_read() -> None:
    contents = read_notification(VECTOR["body"].encode())
    assert contents.statuses == () and contents.inbound_messages == 1


def test_unknown_fields_are_tolerated() -> None:
    body = json.loads(notification(event("sent")))
    body["entry"][0]["changes"][0]["value"]["something_new"] = {"x": [1, 2]}
    body["entry"][0]["changes"].append({"field": "account_update", "value": {"event": "VERIFIED"}})
    assert len(read_notification(json.dumps(body).encode()).statuses) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"entry": "nope"}',
        notification(event("sent")).replace(b"1772355600", b"soon"),
    ],
)
def test_a_body_that_is_no_notification_is_refused(body: bytes) -> None:
    with pytest.raises(WebhookPayloadInvalid):
        read_notification(body)
