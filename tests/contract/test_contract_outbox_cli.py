"""``healthcare outbox list | retry | stats`` on the embedded profile (SQLite), called the way the
CLI calls its extension modules: ``add_parser`` then ``run(args, settings)``."""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from application.ports.audit import AuditReader
from application.ports.messaging import Outbox, OutboxStore, Settlement
from application.ports.outbox_admin import OutboxAdmin
from application.ports.uow import UnitOfWork
from domain.messaging import Channel, MessageStatus, OutboundMessage, Template
from entrypoints import cli_outbox
from entrypoints.bootstrap import as_system, prepare_store
from entrypoints.config import Settings, load_settings
from entrypoints.ioc.profiles import build_container

S = MessageStatus
NOW = datetime.now(UTC)


def embedded(tmp_path: Path) -> Settings:
    environ = {"APP_PROFILE": "embedded", "APP_ENV": "test", "APP_DATA_DIR": str(tmp_path / "data")}
    return load_settings(environ, base_dir=tmp_path, in_container=False)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="healthcare")
    cli_outbox.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["outbox", *argv])


def message(recipient: str, channel: Channel = Channel.EMAIL) -> OutboundMessage:
    return OutboundMessage(
        id=uuid.uuid4(),
        channel=channel,
        recipient=recipient,
        template=Template.OTP,
        parameters={"code": "314159", "ttl_minutes": "5"},
        idempotency_key=f"otp:{uuid.uuid4()}",
        not_before=NOW,
        created_at=NOW,
    )


@pytest.fixture
async def outbox(tmp_path: Path) -> tuple[Settings, list[OutboundMessage]]:
    """Three messages on the embedded store, the first one dead-lettered."""
    settings = embedded(tmp_path)
    messages = [
        message("dead.letter@example.org"),
        message("waiting@example.org"),
        message("+14155550123", Channel.WHATSAPP),
    ]
    container = build_container(settings)
    try:
        await prepare_store(container, settings)
        async with container() as request:
            await as_system(request)
            for m in messages:
                await (await request.get(Outbox)).add(m)
            await (await request.get(UnitOfWork)).commit()
        store = await container.get(OutboxStore)
        [claim] = await store.claim(
            owner="t", now=NOW, lease_until=NOW + timedelta(minutes=1), limit=1, channels=[Channel.EMAIL]
        )
        await store.settle(claim, Settlement(status=S.DEAD, error="attempts exhausted"), now=NOW)
    finally:
        await container.close()
    return settings, messages


async def status_of(settings: Settings, message_id: uuid.UUID):
    container = build_container(settings)
    try:
        async with container() as request:
            await as_system(request)
            entry = await (await request.get(OutboxAdmin)).get(message_id)
            entries = await (await request.get(AuditReader)).entries(limit=1000)
            return entry, [e for e in entries if e.action == "RETRY_OUTBOUND_MESSAGE"]
    finally:
        await container.close()


async def test_list_shows_state_with_masked_recipients_and_no_parameters(outbox, capsys) -> None:
    settings, (dead, waiting, chat) = outbox

    assert await cli_outbox.run(parse("list"), settings) == 0
    out = capsys.readouterr().out
    for m in (dead, waiting, chat):
        assert str(m.id) in out
    assert "d***@example.org" in out and "+14******123" in out and "attempts exhausted" in out
    assert "314159" not in out and "dead.letter@" not in out and "4155550123" not in out

    assert await cli_outbox.run(parse("list", "--status", "DEAD"), settings) == 0
    only_dead = capsys.readouterr().out
    assert str(dead.id) in only_dead and str(waiting.id) not in only_dead


async def test_stats_count_per_channel_and_status(outbox, capsys) -> None:
    settings, _ = outbox

    assert await cli_outbox.run(parse("stats"), settings) == 0

    lines = [line.split()[:3] for line in capsys.readouterr().out.splitlines()[1:]]
    assert lines == [
        ["email", "DEAD", "1"],
        ["email", "PENDING", "1"],
        ["whatsapp", "PENDING", "1"],
        ["total", "3"],
    ]


async def test_retry_requeues_a_dead_message_once_and_audits_it(outbox, capsys) -> None:
    settings, (dead, _, _) = outbox

    assert await cli_outbox.run(parse("retry", str(dead.id)), settings) == 0
    assert "is pending again" in capsys.readouterr().out
    entry, audited = await status_of(settings, dead.id)
    assert (entry.status, entry.attempts) == (S.PENDING, 0)
    assert [(a.resource_id, a.actor_id) for a in audited] == [(str(dead.id), None)]

    assert await cli_outbox.run(parse("retry", str(uuid.uuid4())), settings) == 1
    assert "not found" in capsys.readouterr().err
