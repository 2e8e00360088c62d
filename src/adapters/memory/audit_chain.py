"""The audit chains over the in-memory store: sealing on commit, AuditChainReader and AuditChainKeeper.

Tables of the store: ``audit_chain`` (chain -> sealed entries in sequence order), ``audit_heads``
and ``audit_bases`` (chain -> ChainHead), ``audit_checkpoints`` ((chain, sequence) -> Checkpoint).
Appends happen inside one synchronous call, so under asyncio a chain needs no lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime

from adapters.memory.store import InMemoryStore
from application.ports.audit import AuditChainKeeper, AuditChainReader
from domain.audit import AuditEntry
from domain.audit_chain import ChainHead, ChainSealer, Checkpoint, SealedEntry, by_chain

CHAINS, HEADS, BASES, CHECKPOINTS = "audit_chain", "audit_heads", "audit_bases", "audit_checkpoints"


def append_sealed(store: InMemoryStore, sealer: ChainSealer, entries: Iterable[AuditEntry]) -> None:
    """Seal ``entries`` onto the ends of their chains and move the heads (synchronously)."""
    heads = store.table(HEADS)
    for chain, group in by_chain(entries).items():
        sealed = sealer.extend(heads.get(chain) or ChainHead(chain), group)
        store.table(CHAINS).setdefault(chain, []).extend(sealed)
        heads[chain] = ChainHead(chain, sealed[-1].sequence, sealed[-1].hash)


def sealed_entries(store: InMemoryStore, chain: str) -> list[SealedEntry]:
    """The chain's stored entries (the list itself: tests tamper with it)."""
    entries: list[SealedEntry] = store.table(CHAINS).setdefault(chain, [])
    return entries


class InMemoryAuditChainReader(AuditChainReader):
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def chains(self) -> Sequence[str]:
        known = set(self._store.table(HEADS)) | {c for c, e in self._store.table(CHAINS).items() if e}
        return sorted(known | {chain for chain, _ in self._store.table(CHECKPOINTS)})

    async def head(self, chain: str) -> ChainHead | None:
        head: ChainHead | None = self._store.table(HEADS).get(chain)
        return head

    async def base(self, chain: str) -> ChainHead:
        base: ChainHead = self._store.table(BASES).get(chain) or ChainHead(chain)
        return base

    async def walk(self, chain: str, *, after: int) -> AsyncIterator[SealedEntry]:
        for sealed in sorted(sealed_entries(self._store, chain), key=lambda s: s.sequence):
            if sealed.sequence > after:
                yield sealed

    async def checkpoints(self, chain: str) -> Sequence[Checkpoint]:
        found = [c for (name, _), c in self._store.table(CHECKPOINTS).items() if name == chain]
        return sorted(found, key=lambda c: c.sequence)


class InMemoryAuditChainKeeper(AuditChainKeeper):
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def add_checkpoints(self, checkpoints: Sequence[Checkpoint]) -> None:
        stored = self._store.table(CHECKPOINTS)
        for checkpoint in checkpoints:
            stored.setdefault((checkpoint.chain, checkpoint.sequence), checkpoint)

    async def first_since(self, chain: str, moment: datetime) -> int | None:
        recent = [s.sequence for s in sealed_entries(self._store, chain) if s.entry.occurred_at >= moment]
        return min(recent, default=None)

    async def prune(self, checkpoint: Checkpoint) -> int:
        if self._store.table(CHECKPOINTS).get((checkpoint.chain, checkpoint.sequence)) != checkpoint:
            raise ValueError("prune needs a stored checkpoint")
        entries = sealed_entries(self._store, checkpoint.chain)
        kept = [s for s in entries if s.sequence > checkpoint.sequence]
        removed = {s.entry.id for s in entries} - {s.entry.id for s in kept}
        entries[:] = kept
        self._store.audit[:] = [e for e in self._store.audit if e.id not in removed]
        self._store.table(BASES)[checkpoint.chain] = ChainHead(
            checkpoint.chain, checkpoint.sequence, checkpoint.hash
        )
        return len(removed)
