"""``healthcare worker`` as real processes against PostgreSQL and a local SMTP server: a worker killed
(SIGKILL) while it holds messages loses none of them; a second worker delivers them all once the
lease ends, twice only those whose send had started; SIGTERM stops a worker cleanly."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from http_api import migrated_database
from processes import base_env
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.sql.engine import EngineOptions, create_engine, session_factory
from adapters.sql.outbox import SqlOutbox
from adapters.sql.outbox_codec import OutboxCodec
from adapters.sql.outbox_records import OUTBOX
from adapters.sql.tenancy import SCOPE_KEY
from domain.messaging import Channel, OutboundMessage, Template
from smtp_sink import SmtpSink

KEY_RING = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
SECRETS = {
    "JWT_SECRET": "w" * 40,
    "SECURITY_PHI_ENCRYPTION_KEY": KEY_RING,
    "SECURITY_BLIND_INDEX_KEY": "b" * 40,
    "SECURITY_AUDIT_KEY": "a" * 40,
    "SECURITY_OTP_HASH_KEY": "o" * 40,
}
COUNT = 30


def messages() -> list[OutboundMessage]:
    now = datetime.now(UTC)
    return [
        OutboundMessage(
            id=uuid.uuid4(),
            channel=Channel.EMAIL,
            recipient=f"patient.{i}@example.org",
            template=Template.OTP,
            parameters={"code": f"{900000 + i}", "ttl_minutes": "30"},
            idempotency_key=f"otp:e2e:{i}",
            not_before=now,
            created_at=now,
        )
        for i in range(COUNT)
    ]


async def enqueue(url: str, role: str, batch: list[OutboundMessage]) -> None:
    engine = create_engine(EngineOptions(url=url))
    try:
        async with session_factory(engine, app_role=role)() as session:
            session.info[SCOPE_KEY] = ("", "")  # sign-in codes are added before anyone is known
            outbox = SqlOutbox(session, OutboxCodec(AesGcmFieldCipher.from_spec(KEY_RING)))
            for message in batch:
                await outbox.add(message)
            await session.commit()
    finally:
        await engine.dispose()


async def statuses(url: str) -> Counter[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status))
            return Counter({status: count for status, count in rows})
    finally:
        await engine.dispose()


def start_worker(tmp_path: Path, name: str, env: dict[str, str]) -> subprocess.Popen[str]:
    tmp = tmp_path / name
    tmp.mkdir()
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "worker"],
        cwd=tmp_path,
        env={**env, "TMPDIR": str(tmp)},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def until(condition, what: str) -> None:
    try:
        async with asyncio.timeout(90):
            while True:
                if await condition():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def test_a_killed_worker_loses_nothing_and_a_second_one_delivers_it_all(tmp_path: Path) -> None:
    sink = SmtpSink(delay_seconds=0.3).start_in_thread()
    workers: list[subprocess.Popen[str]] = []
    try:
        async with migrated_database(grant_to_admin=True) as (url, role):
            env = base_env(
                tmp_path,
                APP_PROFILE="production",
                DATABASE_URL=url,
                DATABASE_APP_ROLE=role,
                EMAIL_SMTP_HOST="127.0.0.1",
                EMAIL_SMTP_PORT=str(sink.port),
                APP_OUTBOX_LEASE_SECONDS="4",
                APP_OUTBOX_BATCH_SIZE="10",
                APP_OUTBOX_CONCURRENCY="2",
                APP_OUTBOX_POLL_SECONDS="0.1",
                LOGGING_LEVEL="INFO",
                **SECRETS,
            )
            batch = messages()
            await enqueue(url, role, batch)
            wanted = {f"<{m.id}@clinic.local>" for m in batch}

            first = start_worker(tmp_path, "first", env)
            workers.append(first)

            async def some_started() -> bool:
                assert first.poll() is None, (tmp_path / "first.log").read_text()
                return len(sink.started) >= 3

            await until(some_started, "the first worker to start sending")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            started_before_kill = set(sink.started)
            held = await statuses(url)
            assert held["SENDING"] > 0, held  # it died holding messages

            second = start_worker(tmp_path, "second", env)
            workers.append(second)

            async def all_delivered() -> bool:
                assert second.poll() is None, (tmp_path / "second.log").read_text()
                return wanted <= set(sink.message_ids())

            await until(all_delivered, "every message to be delivered")
            assert (tmp_path / "second" / "worker-alive").exists()
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0
            assert not (tmp_path / "second" / "worker-alive").exists()

            received = Counter(sink.message_ids())
            assert set(received) == wanted
            twice = {message_id for message_id, n in received.items() if n > 1}
            assert twice <= started_before_kill  # duplicates only for sends that had started
            assert all(n <= 2 for n in received.values())
            assert await statuses(url) == Counter({"SENT": COUNT})
            log = (tmp_path / "second.log").read_text()
            assert "outbox worker" in log and "Traceback" not in log
            for message in batch:  # the log never holds a code or an address
                assert message.parameters["code"] not in log and message.recipient not in log
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
        sink.stop_thread()
