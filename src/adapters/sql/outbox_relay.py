"""OutboxStore over SQLAlchemy: the relay's claims and settlements, each a short transaction of
its own, as the system (every clinic).

Claiming, PostgreSQL: one statement, ``WITH due AS (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)
UPDATE ... FROM due RETURNING ...``. Concurrent relays skip each other's locked rows instead of
waiting, and a row another relay claimed and committed meanwhile is re-checked against the WHERE
clause and dropped. The claim then sets ``next_attempt_at`` to the end of the lease, so the same
index range (status, next_attempt_at) finds pending messages that are due and held ones whose
relay died.

Claiming, SQLite: no row locks, one writer. ``BEGIN IMMEDIATE`` takes the write lock before the
claim reads anything, so two relays (threads or processes) run their claims one after the other
and the second sees the first's leases. A plain read first keeps an idle relay from taking the
write lock on every poll.

Settling is fenced: it changes the row only if it is still SENDING under the same owner and
attempt, so a relay whose lease ran out cannot overwrite the next relay's work.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql.errors import translated
from adapters.sql.outbox_codec import OutboxCodec, clinic_column
from adapters.sql.outbox_records import OUTBOX
from adapters.sql.tenancy import SCOPE_KEY
from application.ports.messaging import ClaimedMessage, OutboxStore, Settlement
from domain.messaging import Channel, MessageStatus

logger = logging.getLogger(__name__)
S = MessageStatus
T = OUTBOX


class SqlOutboxStore(OutboxStore):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], codec: OutboxCodec) -> None:
        self._sessions = sessions
        self._codec = codec

    def _session(self) -> AsyncSession:
        session = self._sessions()
        session.info[SCOPE_KEY] = ("*", "")  # the relay acts as the system, for every clinic
        return session

    async def claim(
        self,
        *,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        channels: Collection[Channel],
    ) -> Sequence[ClaimedMessage]:
        if not channels:
            return []
        due = and_(
            T.c.status.in_((S.PENDING.value, S.SENDING.value)),
            T.c.next_attempt_at <= now,
            T.c.channel.in_([c.value for c in channels]),
        )
        claimed = {
            "status": S.SENDING.value,
            "attempts": T.c.attempts + 1,
            "lease_owner": owner,
            "lease_until": lease_until,
            "next_attempt_at": lease_until,
            "updated_at": now,
        }
        oldest = select(T.c.clinic_id, T.c.id).where(due).order_by(T.c.next_attempt_at).limit(limit)
        async with self._session() as session, translated(session):
            if session.get_bind().dialect.name == "postgresql":
                locked = oldest.with_for_update(skip_locked=True).cte("due")
                statement = update(T).where(T.c.clinic_id == locked.c.clinic_id, T.c.id == locked.c.id)
            else:
                if (await session.execute(select(T.c.id).where(due).limit(1))).first() is None:
                    return []
                await session.rollback()
                await session.execute(text("BEGIN IMMEDIATE"))
                statement = update(T).where(tuple_(T.c.clinic_id, T.c.id).in_(oldest))
            rows = (await session.execute(statement.values(claimed).returning(*T.c))).mappings().all()
            await session.commit()
        return await self._claims(sorted(rows, key=lambda r: (r["created_at"], str(r["id"]))), now)

    async def _claims(self, rows: Sequence[Any], now: datetime) -> list[ClaimedMessage]:
        claims = []
        for row in rows:
            try:
                message = self._codec.message(row)
            except ValueError:  # a key gone from the ring: keep it for an operator, never drop it
                logger.error("outbox message %s does not decrypt: dead-lettered", row["id"])
                await self._fenced(row, Settlement(status=S.DEAD, error="does not decrypt"), now)
                continue
            claims.append(
                ClaimedMessage(
                    message=message,
                    attempt=int(row["attempts"]),
                    lease_owner=row["lease_owner"],
                    lease_until=row["lease_until"],
                )
            )
        return claims

    async def settle(self, claim: ClaimedMessage, settlement: Settlement, *, now: datetime) -> bool:
        message = claim.message
        key = {
            "clinic_id": clinic_column(message.clinic_id),
            "id": message.id,
            "lease_owner": claim.lease_owner,
            "attempts": claim.attempt,
        }
        return await self._fenced(key, settlement, now)

    async def _fenced(self, key: Any, settlement: Settlement, now: datetime) -> bool:
        values: dict[str, Any] = {
            "status": settlement.status.value,
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now,
        }
        if not settlement.attempt_counted:
            values["attempts"] = T.c.attempts - 1
        if settlement.next_attempt_at is not None:
            values["next_attempt_at"] = settlement.next_attempt_at
        if settlement.status is S.SENT:
            values["last_error"] = None
            values["sent_at"] = now
        elif settlement.error is not None:
            values["last_error"] = settlement.error[:500]
        delivery = settlement.delivery
        if delivery is not None:
            values["provider_message_id"] = delivery.provider_message_id
            if delivery.provider_recipient_id is not None:
                values["provider_recipient_sealed"] = self._codec.seal(
                    key["id"], "provider_recipient", delivery.provider_recipient_id
                )
        statement = (
            update(T)
            .where(
                T.c.clinic_id == key["clinic_id"],
                T.c.id == key["id"],
                T.c.status == S.SENDING.value,
                T.c.lease_owner == key["lease_owner"],
                T.c.attempts == key["attempts"],
            )
            .values(values)
        )
        async with self._session() as session, translated(session):
            result = await session.execute(statement)
            await session.commit()
        return cast(CursorResult[Any], result).rowcount == 1
