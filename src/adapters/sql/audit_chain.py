"""Sealing audit entries into their chains inside the committing transaction (SQLAlchemy).

Each chain has one ``audit_chain_heads`` row. A unit locks the heads of the chains it appends to,
in sorted order (so two units never wait on each other in a cycle), seals its entries after each
head, inserts them and moves the heads, all just before COMMIT: a chain is serialised only for
that short stretch, and different clinics never wait for each other.

- PostgreSQL: one statement when this process's memory of the head is still right, else
  ``SELECT ... FOR UPDATE`` on the head (created on first use with ``INSERT ... ON CONFLICT DO
  NOTHING``, which waits for a concurrent creator and then finds its row); adapters.sql.audit_heads.
- SQLite: one writer at a time anyway. The head is taken with an upsert, a write, so the
  transaction holds the write lock before it reads the head and cannot seal after a stale one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.audit_heads import append_if_head_is, lock_head, remember, remembered
from adapters.sql.audit_records import AuditChainHeadRecord, AuditEntryRecord
from adapters.sql.values import as_optional_uuid, as_uuid
from domain.audit import AuditEntry, Outcome
from domain.audit_chain import ChainHead, ChainSealer, SealedEntry, by_chain

ENTRY_COLUMNS = tuple(AuditEntryRecord.__table__.c)
# The one-statement path binds every value; larger batches (bulk loads) take the locking path.
FAST_PATH_ROWS = 16
_HEADS = AuditChainHeadRecord.__table__
_MOVE_HEAD = (
    update(_HEADS)
    .where(_HEADS.c.chain == bindparam("head_chain"))
    .values(sequence=bindparam("head_sequence"), hash=bindparam("head_hash"))
)


def sealed_row(sealed: SealedEntry) -> dict[str, Any]:
    entry = sealed.entry
    return {
        "chain": entry.chain,
        "sequence": sealed.sequence,
        "id": entry.id,
        "occurred_at": entry.occurred_at,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id,
        "clinic_id": entry.clinic_id,
        "patient_id": entry.patient_id,
        "outcome": entry.outcome.value,
        "request_id": entry.request_id,
        "client_ip": entry.client_ip,
        "changed_fields": list(entry.changed_fields),
        "hash": sealed.hash,
    }


def sealed_of(row: Mapping[str, Any]) -> SealedEntry:
    """A row selected with ENTRY_COLUMNS, as stored (its ``chain`` column is not trusted: the
    entry's chain follows from its clinic, and the hash covers that)."""
    entry = AuditEntry(
        id=as_uuid(row["id"]),
        occurred_at=row["occurred_at"],
        actor_id=as_optional_uuid(row["actor_id"]),
        action=row["action"],
        resource_type=row["resource_type"],
        resource_id=row["resource_id"],
        clinic_id=as_optional_uuid(row["clinic_id"]),
        request_id=row["request_id"],
        outcome=Outcome(row["outcome"]),
        actor_role=row["actor_role"],
        patient_id=as_optional_uuid(row["patient_id"]),
        client_ip=row["client_ip"],
        changed_fields=tuple(row["changed_fields"] or ()),
    )
    return SealedEntry(entry, row["sequence"], row["hash"])


async def append_sealed(session: AsyncSession, sealer: ChainSealer, entries: Sequence[AuditEntry]) -> None:
    """Seal and insert ``entries`` in the session's transaction; the caller commits."""
    rows: list[dict[str, Any]] = []
    heads: list[dict[str, Any]] = []
    for chain, group in by_chain(entries).items():
        guess = remembered(session, chain)
        if guess is not None and len(group) <= FAST_PATH_ROWS:
            sealed = sealer.extend(guess, group)
            end = ChainHead(chain, sealed[-1].sequence, sealed[-1].hash)
            if await append_if_head_is(session, guess, end, [sealed_row(s) for s in sealed]):
                remember(session, end)
                continue
        sealed = sealer.extend(await lock_head(session, chain), group)
        rows.extend(sealed_row(s) for s in sealed)
        heads.append(
            {"head_chain": chain, "head_sequence": sealed[-1].sequence, "head_hash": sealed[-1].hash}
        )
        remember(session, ChainHead(chain, sealed[-1].sequence, sealed[-1].hash))
    if rows:
        await session.execute(insert(AuditEntryRecord.__table__), rows)
        await session.execute(_MOVE_HEAD, heads)
