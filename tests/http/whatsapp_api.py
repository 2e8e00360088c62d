"""The embedded app set up for WhatsApp: webhook secrets and, with a fake Graph API, the real
outbox relay delivering to it through the Cloud API channel."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from uuid import UUID

from http_api import Api, embedded_settings, open_api

from application.ports.messaging import Outbox
from application.ports.outbox_admin import OutboxAdmin, OutboxEntry
from application.ports.uow import UnitOfWork
from domain.messaging import OutboundMessage
from entrypoints.bootstrap import as_system
from fakes.graph_api import FakeGraphApi
from fakes.graph_webhooks import sign

VECTOR = json.loads(
    (Path(__file__).resolve().parents[1] / "testdata/whatsapp-webhook-vector.json").read_text()
)
SECRET = "graph-app-secret-for-tests"
VERIFY_TOKEN = "verify-me-please"
WEBHOOK_SECRETS = {"WHATSAPP_APP_SECRET": SECRET, "WHATSAPP_WEBHOOK_VERIFY_TOKEN": VERIFY_TOKEN}


async def open_webhook_api(tmp_path: Path, graph: FakeGraphApi | None = None) -> AsyncIterator[Api]:
    """The embedded app with the webhook secrets; with ``graph``, WhatsApp is enabled and points at
    it, unpaced, with a 0.5 s answer timeout, and the in-process relay polls every 50 ms."""
    extra = {}
    if graph is not None:
        extra = {
            "WHATSAPP_ENABLED": "true",
            "WHATSAPP_API_URL": graph.url,
            "WHATSAPP_ACCESS_TOKEN": graph.access_token,
            "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
            "WHATSAPP_MESSAGES_PER_SECOND": "0",
            "WHATSAPP_REQUEST_TIMEOUT_SECONDS": "0.5",
            "APP_OUTBOX_POLL_SECONDS": "0.05",
        }
    async for ready in open_api(embedded_settings(tmp_path, **WEBHOOK_SECRETS, **extra)):
        yield ready


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, secret)}


async def enqueue(api: Api, *messages: OutboundMessage) -> None:
    """Add ``messages`` to the outbox in one unit of work, as a use case would."""
    async with api.container() as request:
        await as_system(request)
        outbox, uow = await request.get(Outbox), await request.get(UnitOfWork)

        async def add() -> None:
            for message in messages:
                await outbox.add(message)
            await uow.commit()

        await uow.run(add)


async def outbox_rows(api: Api) -> dict[UUID, OutboxEntry]:
    async with api.container() as request:
        await as_system(request)
        return {row.id: row for row in await (await request.get(OutboxAdmin)).find(status=None, limit=100)}


async def eventually(condition: Callable[[], Awaitable[bool]], what: str, within: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.02)
