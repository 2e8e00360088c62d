"""OtpStore in process memory (memory profile, tests). No method awaits, so each is atomic under
asyncio."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from uuid import UUID

from application.ports.otp import Guess, OtpStore
from domain.otp import OtpChallenge


class InMemoryOtpStore(OtpStore):
    def __init__(self) -> None:
        self._pending: dict[str, OtpChallenge] = {}
        self._used: set[UUID] = set()
        self._locks: dict[str, datetime] = {}

    async def put(self, challenge: OtpChallenge) -> None:
        self._pending[challenge.identity_hash] = challenge

    async def guess(self, identity_hash: str, now: datetime) -> Guess | None:
        challenge = self._pending.get(identity_hash)
        if challenge is None or challenge.id in self._used or not challenge.is_live(now):
            return None
        counted = dataclasses.replace(challenge, attempts=challenge.attempts + 1)
        self._pending[identity_hash] = counted
        return Guess(challenge.id, challenge.code_hash, counted.attempts)

    async def consume(self, identity_hash: str, challenge_id: UUID) -> bool:
        challenge = self._pending.get(identity_hash)
        if challenge is None or challenge.id != challenge_id or challenge_id in self._used:
            return False
        self._used.add(challenge_id)
        return True

    async def lock(self, identity_hash: str, now: datetime, until: datetime) -> bool:
        if await self.locked_until(identity_hash, now) is not None:
            return False
        self._locks[identity_hash] = until
        return True

    async def locked_until(self, identity_hash: str, now: datetime) -> datetime | None:
        until = self._locks.get(identity_hash)
        return until if until is not None and until > now else None
