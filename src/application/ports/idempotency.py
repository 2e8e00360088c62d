"""Idempotency keys: a retried create returns the first result instead of creating twice.

The contract, for every adapter (checked by tests/contract/test_contract_idempotency.py):
- A key lives per ``(clinic_id, scope, key)``. The caller puts whatever separates callers and
  operations into ``scope`` (for example ``"prescriptions.issue:<user id>"``), so one caller's
  key never answers another's request.
- ``reserve`` runs inside the caller's unit of work, before the work. It returns None when the
  key is free (never used, or its entry expired, which it then replaces): the caller does the
  work, calls ``remember`` with the result, and commits, all in the same unit. It returns the
  stored response when an entry with the same ``request_hash`` committed and has not expired
  (replay it and do nothing else); it raises IdempotencyKeyReused when the live entry was made
  for another ``request_hash``.
- Two units reserving one key concurrently: exactly one commits its work. The other gets
  TransientFailure (from ``reserve`` or at the latest on commit) and, re-run by
  ``UnitOfWork.run``, sees the winner's response. An error that rolls the unit back rolls the
  reservation back with it, so failures are not remembered and a retry runs the work again.
- The response may contain PHI: adapters that store it outside the process seal it (FieldCipher,
  context bound to the clinic, scope and key). The key and the request hash are not PHI.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from domain.errors import ValidationFailed

DEFAULT_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotentRequest:
    clinic_id: UUID
    scope: str  # operation and caller, at most 128 characters
    key: str  # the client's Idempotency-Key, 1 to MAX_KEY_LENGTH printable characters
    request_hash: str  # a digest of the canonical request (hex), at most 128 characters


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredResponse:
    status: str  # the caller's label for the outcome (for example "created"), at most 32 characters
    body: bytes  # the caller's encoding of the result


class IdempotencyStore(Protocol):
    @abstractmethod
    async def reserve(
        self, request: IdempotentRequest, *, now: datetime, ttl: timedelta = DEFAULT_TTL
    ) -> StoredResponse | None:
        """Claim the key in the current unit of work, or return the response to replay (see the
        module docstring). Raises IdempotencyKeyReused and TransientFailure as it says."""
        ...

    @abstractmethod
    async def remember(self, request: IdempotentRequest, response: StoredResponse) -> None:
        """Store ``response`` for a key this unit reserved; it becomes visible on commit."""
        ...


def checked_key(key: str) -> str:
    """The client's key if it is 1 to MAX_KEY_LENGTH printable ASCII characters; else
    ValidationFailed naming the header (a key is echoed nowhere, but it is stored and indexed)."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " < ch <= "~" for ch in key):
        raise ValidationFailed(
            details={"Idempotency-Key": f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"}
        )
    return key
