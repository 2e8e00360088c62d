"""On the embedded profile the app delivers by itself: a committed message reaches the console
without any worker, and the relay stops with the app."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from http_api import embedded_settings, open_api

from application.ports.messaging import Outbox
from application.ports.outbox_admin import OutboxAdmin
from application.ports.uow import UnitOfWork
from domain.messaging import Channel, MessageStatus, OutboundMessage, Template
from entrypoints.bootstrap import as_system
from entrypoints.worker import BackgroundRelay


async def eventually(check) -> None:
    """Poll ``check`` until it holds; the deadline fails the test rather than hang it."""
    async with asyncio.timeout(20):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


async def test_the_embedded_app_delivers_committed_messages_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    sent = OutboundMessage(
        id=uuid.uuid4(),
        channel=Channel.WHATSAPP,
        recipient="+14155550177",
        template=Template.OTP,
        parameters={"code": "161803", "ttl_minutes": "5"},
        idempotency_key="otp:in-process",
        not_before=now,
        created_at=now,
    )
    async for api in open_api(embedded_settings(tmp_path, APP_OUTBOX_POLL_SECONDS="0.05")):
        background = await api.container.get(BackgroundRelay)
        assert background.running
        async with api.container() as request:
            await as_system(request)
            await (await request.get(Outbox)).add(sent)
            await (await request.get(UnitOfWork)).commit()

        async def delivered() -> bool:
            async with api.container() as request:
                await as_system(request)
                entry = await (await request.get(OutboxAdmin)).get(sent.id)
                return entry is not None and entry.status is MessageStatus.SENT

        await eventually(delivered)
    assert not background.running
    assert "[whatsapp to +14155550177] otp: code=161803" in capsys.readouterr().out
