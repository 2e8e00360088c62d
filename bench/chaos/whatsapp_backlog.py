"""What the relay scenarios share: the fake Graph API (tests/fakes) with a switch that makes it
answer 503 for as long as it is on, and a backlog of WhatsApp messages committed to the outbox
through the application's own adapter (SqlOutbox, sealed with the scenario's key ring)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

from bench.chaos.harness import KEY_RING, Database, sql_rows

from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.sql.engine import EngineOptions, create_engine, session_factory
from adapters.sql.outbox import SqlOutbox
from adapters.sql.outbox_codec import OutboxCodec
from adapters.sql.tenancy import SCOPE_KEY
from domain.messaging import Channel, OutboundMessage, Template
from fakes.graph_api import FakeGraphApi
from fakes.graph_records import Answer
from fakes.graph_rules import graph_error
from fakes.whatsapp_messages import PARAMETERS

SERVICE_UNAVAILABLE = 131016  # Graph's "Service unavailable", served with HTTP 503


class SwitchableGraphApi(FakeGraphApi):
    """The fake Graph API; while ``down`` every send is answered 503 (Graph error 131016)."""

    down = False

    def _check(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        if self.down:
            return graph_error(SERVICE_UNAVAILABLE, 503)
        return super()._check(method, path, headers, body)

    def recipients(self) -> Counter[str]:
        """How many times each number was accepted."""
        with self._lock:
            return Counter(a.to for a in self.accepted)

    def started(self) -> set[str]:
        """Numbers whose send reached the fake (accepted or not)."""
        with self._lock:
            return {str(r.json().get("to", "")) for r in self.received if r.body}


def number(i: int) -> str:
    return f"35191{i:07d}"


async def enqueue(db: Database, count: int) -> set[str]:
    """``count`` appointment reminders to distinct numbers, committed in one transaction; returns
    the numbers (as Graph reports them back)."""
    now = datetime.now(UTC)
    messages = [
        OutboundMessage(
            id=uuid.uuid4(),
            channel=Channel.WHATSAPP,
            recipient=f"+{number(i)}",
            template=Template.APPOINTMENT_REMINDER,
            parameters=dict(PARAMETERS[Template.APPOINTMENT_REMINDER]),
            idempotency_key=f"chaos:{uuid.uuid4()}",
            not_before=now,
            created_at=now,
        )
        for i in range(count)
    ]
    engine = create_engine(EngineOptions(url=db.url))
    try:
        async with session_factory(engine, app_role=db.role)() as session:
            session.info[SCOPE_KEY] = ("*", "")
            outbox = SqlOutbox(session, OutboxCodec(AesGcmFieldCipher.from_spec(KEY_RING)))
            for message in messages:
                await outbox.add(message)
            await session.commit()
    finally:
        await engine.dispose()
    return {number(i) for i in range(count)}


async def outbox_statuses(db: Database) -> Counter[str]:
    rows = await sql_rows(db.url, "SELECT status, count(*) FROM outbox_messages GROUP BY status")
    return Counter({status: count for status, count in rows})
