"""Signed WhatsApp status webhooks, shaped like Meta's, for the fake Graph API and the tests.

Signing is written out here on purpose (not imported from adapters.whatsapp), so a test that
verifies these signatures checks our adapter against an independent implementation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import httpx

from fakes.graph_records import Accepted

WEBHOOK_PATH = "/api/v1/webhooks/whatsapp"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusEvent:
    """One entry of ``statuses``: ``status`` is sent, delivered, read or failed."""

    wamid: str
    status: str
    recipient_id: str
    timestamp: int
    callback_data: str | None = None
    error_code: int | None = None
    error_title: str = ""


@dataclass(frozen=True, slots=True)
class SignedWebhook:
    body: bytes
    signature: str  # the X-Hub-Signature-256 value

    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "X-Hub-Signature-256": self.signature}


def sign(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _status(event: StatusEvent) -> dict[str, object]:
    found: dict[str, object] = {
        "id": event.wamid,
        "status": event.status,
        "timestamp": str(event.timestamp),
        "recipient_id": event.recipient_id,
    }
    if event.callback_data is not None:
        found["biz_opaque_callback_data"] = event.callback_data
    if event.status in {"sent", "delivered"}:
        found["conversation"] = {"id": "c" + event.wamid[-12:], "origin": {"type": "utility"}}
        found["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "utility"}
    if event.error_code is not None:
        found["errors"] = [
            {
                "code": event.error_code,
                "title": event.error_title,
                "message": event.error_title,
                "error_data": {"details": event.error_title},
            }
        ]
    return found


def status_notification(
    events: Sequence[StatusEvent], *, business_account_id: str, phone_number_id: str, display_number: str
) -> bytes:
    """A notification carrying ``events`` in one change, as Meta sends it (compact JSON)."""
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": business_account_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": display_number,
                                "phone_number_id": phone_number_id,
                            },
                            "statuses": [_status(event) for event in events],
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def arrange(
    webhooks: Sequence[SignedWebhook], *, duplicates: int = 0, shuffle: bool = False, seed: int = 0
) -> list[SignedWebhook]:
    """Each webhook ``1 + duplicates`` times, shuffled (reproducibly, by ``seed``) on demand."""
    found = [hook for hook in webhooks for _ in range(1 + duplicates)]
    if shuffle:
        random.Random(seed).shuffle(found)
    return found


def status_webhooks(
    accepted: Sequence[Accepted],
    statuses: Sequence[str],
    *,
    app_secret: str,
    business_account_id: str,
    phone_number_id: str,
    wamids: Collection[str] | None = None,
    error_code: int = 131026,
    error_title: str = "Message undeliverable",
    duplicates: int = 0,
    shuffle: bool = False,
    seed: int = 0,
) -> list[SignedWebhook]:
    """One signed webhook per (accepted message, status), the statuses a second apart; ``failed``
    carries ``error_code``. Each ``1 + duplicates`` times, shuffled on demand."""
    hooks = []
    for message in (m for m in accepted if wamids is None or m.wamid in wamids):
        for step, status in enumerate(statuses):
            failed = status == "failed"
            event = StatusEvent(
                wamid=message.wamid,
                status=status,
                recipient_id=message.to,
                timestamp=int(message.at) + step,
                callback_data=message.callback_data,
                error_code=error_code if failed else None,
                error_title=error_title if failed else "",
            )
            body = status_notification(
                [event],
                business_account_id=business_account_id,
                phone_number_id=phone_number_id,
                display_number="15550001111",
            )
            hooks.append(SignedWebhook(body, sign(body, app_secret)))
    return arrange(hooks, duplicates=duplicates, shuffle=shuffle, seed=seed)


async def deliver(
    webhooks: Iterable[SignedWebhook], url: str, client: httpx.AsyncClient | None = None
) -> list[int]:
    """POST each webhook to ``url`` in order; the statuses answered. ``client`` may be any httpx
    AsyncClient (Litestar's AsyncTestClient included); without one a real connection is made."""
    own = client is None
    session = client or httpx.AsyncClient(timeout=10.0, trust_env=False)
    try:
        return [
            (await session.post(url, content=hook.body, headers=hook.headers())).status_code
            for hook in webhooks
        ]
    finally:
        if own:
            await session.aclose()
