"""IdempotencyStore over SQLAlchemy: the primary key (clinic, scope, key) picks one winner."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.errors import translated
from adapters.sql.idempotency_records import IdempotencyKeyRow
from application.ports.crypto import FieldCipher
from application.ports.idempotency import (
    DEFAULT_TTL,
    IdempotencyStore,
    IdempotentRequest,
    StoredResponse,
)
from domain.errors import IdempotencyKeyReused, TransientFailure


def _context(request: IdempotentRequest) -> bytes:
    return f"idempotency_keys.response:{request.clinic_id}:{request.scope}:{request.key}".encode()


class SqlIdempotencyStore(IdempotencyStore):
    """A reservation is a row inserted in the caller's transaction. A concurrent unit inserting
    the same key waits for it (PostgreSQL) or for the single writer (SQLite) and then violates
    the primary key: that is a TransientFailure, and the re-run unit reads the winner's row."""

    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def reserve(
        self, request: IdempotentRequest, *, now: datetime, ttl: timedelta = DEFAULT_TTL
    ) -> StoredResponse | None:
        table = IdempotencyKeyRow.__table__
        where = (
            table.c.clinic_id == request.clinic_id,
            table.c.scope == request.scope,
            table.c.key == request.key,
        )
        async with translated(self._session):
            row = (await self._session.execute(select(table).where(*where))).one_or_none()
        if row is not None and row.expires_at > now:
            if row.request_hash != request.request_hash:
                raise IdempotencyKeyReused()
            if row.response_sealed is None or row.status is None:
                raise TransientFailure(context="idempotency key reserved but not answered")
            body = self._cipher.decrypt(bytes(row.response_sealed), context=_context(request))
            return StoredResponse(status=row.status, body=body)
        try:
            async with translated(self._session):
                if row is not None:
                    await self._session.execute(
                        delete(IdempotencyKeyRow).where(*where, table.c.expires_at <= now)
                    )
                await self._session.execute(
                    insert(IdempotencyKeyRow).values(
                        clinic_id=request.clinic_id,
                        scope=request.scope,
                        key=request.key,
                        request_hash=request.request_hash,
                        status=None,
                        response_sealed=None,
                        created_at=now,
                        expires_at=now + ttl,
                    )
                )
        except IntegrityError as exc:
            raise TransientFailure(context="idempotency key taken by a concurrent unit") from exc
        return None

    async def remember(self, request: IdempotentRequest, response: StoredResponse) -> None:
        table = IdempotencyKeyRow.__table__
        sealed = self._cipher.encrypt(response.body, context=_context(request))
        async with translated(self._session):
            result = await self._session.execute(
                update(IdempotencyKeyRow)
                .where(
                    table.c.clinic_id == request.clinic_id,
                    table.c.scope == request.scope,
                    table.c.key == request.key,
                    table.c.request_hash == request.request_hash,
                    table.c.response_sealed.is_(None),
                )
                .values(status=response.status, response_sealed=sealed)
            )
        if getattr(result, "rowcount", 1) != 1:
            raise RuntimeError("remember() needs a key this unit reserved")
