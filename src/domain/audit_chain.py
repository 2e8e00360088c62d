"""Tamper evidence for the audit trail: per-chain, gapless, HMAC-chained entries.

Rules:
- Each chain (a clinic, or the platform) numbers its entries 1, 2, 3 ... without gaps.
- Entry n stores ``hash_n = HMAC-SHA256(key, bytes(hash_{n-1}) || canonical_json(entry_n, n))``;
  ``hash_0`` is GENESIS_HASH. The canonical JSON names the chain and the sequence number, so an
  entry cannot be moved to another place or chain without its hash changing.
- The key never enters the database; whoever lacks it cannot forge or re-seal an entry.
- A checkpoint is a chain's (sequence, hash) at some moment. Kept outside the database, it proves
  that the chain up to that point was not rewritten later, even by someone holding the key.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.audit import AuditEntry

GENESIS_HASH = "0" * 64
CANONICAL_VERSION = 1
# Only for units of work built without a sealer (tests and fakes); every container passes the
# configured SECURITY_AUDIT_KEY, which production refuses to leave at its default.
UNCONFIGURED_KEY = b"clinic-backend: unconfigured audit key, tests only"


@dataclass(frozen=True, slots=True)
class SealedEntry:
    """An entry in its chain: its place and the hash that seals it."""

    entry: AuditEntry
    sequence: int
    hash: str


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest (sequence, hash) of a chain; (0, GENESIS_HASH) for an empty one."""

    chain: str
    sequence: int = 0
    hash: str = GENESIS_HASH


@dataclass(frozen=True, slots=True)
class Checkpoint:
    chain: str
    sequence: int
    hash: str
    created_at: datetime


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def _utc(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(entry: AuditEntry, sequence: int) -> bytes:
    """The entry as sealed: sorted keys, no whitespace, ASCII only, times in UTC to the microsecond."""
    document = {
        "v": CANONICAL_VERSION,
        "chain": entry.chain,
        "sequence": sequence,
        "id": str(entry.id),
        "occurredAt": _utc(entry.occurred_at),
        "actorId": _text(entry.actor_id),
        "actorRole": entry.actor_role,
        "action": entry.action,
        "resourceType": entry.resource_type,
        "resourceId": entry.resource_id,
        "clinicId": _text(entry.clinic_id),
        "patientId": _text(entry.patient_id),
        "outcome": entry.outcome.value,
        "requestId": entry.request_id,
        "clientIp": entry.client_ip,
        "changedFields": list(entry.changed_fields),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


class ChainSealer:
    """Computes the hashes of a chain under one HMAC key."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the audit key must not be empty")
        self._key = key

    def seal(self, previous_hash: str, entry: AuditEntry, sequence: int) -> str:
        message = bytes.fromhex(previous_hash) + canonical_json(entry, sequence)
        return hmac.digest(self._key, message, "sha256").hex()

    def extend(self, head: ChainHead, entries: Iterable[AuditEntry]) -> list[SealedEntry]:
        """Seal ``entries`` after ``head``, in order; every entry must belong to head's chain."""
        sealed: list[SealedEntry] = []
        sequence, previous = head.sequence, head.hash
        for entry in entries:
            if entry.chain != head.chain:
                raise ValueError(f"entry of chain {entry.chain} sealed into chain {head.chain}")
            sequence += 1
            previous = self.seal(previous, entry, sequence)
            sealed.append(SealedEntry(entry, sequence, previous))
        return sealed


def by_chain(entries: Iterable[AuditEntry]) -> dict[str, list[AuditEntry]]:
    """Entries grouped by chain, chains in sorted order (units lock chains in this order, so two
    units never wait on each other's chains in a cycle), entries in the order recorded."""
    groups: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.chain, []).append(entry)
    return {chain: groups[chain] for chain in sorted(groups)}
