"""IdempotencyStore over the in-memory store."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from application.ports.idempotency import (
    DEFAULT_TTL,
    IdempotencyStore,
    IdempotentRequest,
    StoredResponse,
)
from domain.errors import IdempotencyKeyReused, TransientFailure

TABLE = "idempotency_keys"


@dataclass(frozen=True, slots=True)
class KeyRow:
    request_hash: str
    created_at: datetime
    expires_at: datetime
    response: StoredResponse | None = None


class InMemoryIdempotencyStore(IdempotencyStore):
    """Rows keyed by (clinic, scope, key). A unit that reserved a key checks on commit that no
    other unit committed that key since: the loser gets TransientFailure (the memory unit of work
    does not re-run; the caller's retry replays)."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def reserve(
        self, request: IdempotentRequest, *, now: datetime, ttl: timedelta = DEFAULT_TTL
    ) -> StoredResponse | None:
        key = (request.clinic_id, request.scope, request.key)
        seen: KeyRow | None = self._uow.read(TABLE, key)
        if seen is not None and seen.expires_at > now:
            if seen.request_hash != request.request_hash:
                raise IdempotencyKeyReused()
            if seen.response is not None:
                return seen.response
            raise TransientFailure(context="idempotency key reserved by this unit already")

        def untouched(store: InMemoryStore) -> None:
            if store.table(TABLE).get(key) != seen:
                raise TransientFailure(context="idempotency key taken by a concurrent unit")

        row = KeyRow(request_hash=request.request_hash, created_at=now, expires_at=now + ttl)
        self._uow.stage(TABLE, key, row, check=untouched)
        return None

    async def remember(self, request: IdempotentRequest, response: StoredResponse) -> None:
        key = (request.clinic_id, request.scope, request.key)
        row: KeyRow | None = self._uow.read(TABLE, key)
        if row is None or row.response is not None:
            raise RuntimeError("remember() needs a key this unit reserved")
        self._uow.stage(TABLE, key, dataclasses.replace(row, response=response))
