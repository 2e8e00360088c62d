"""The audit trail's ports. Writing goes through the UnitOfWork, in the business transaction, which
seals every entry into its chain (domain.audit_chain); reads of PHI go through PhiReadAudit."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.audit import AuditEntry
from domain.audit_chain import ChainHead, Checkpoint, SealedEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    """One chain's entries (``clinic_id`` None: the platform's), narrowed by every filter given.
    ``since`` is inclusive, ``until`` exclusive. ``resources`` keeps the entries whose
    (resource_type, resource_id) is one of its pairs (an empty set keeps none); callers keep it to
    a few hundred pairs per query."""

    clinic_id: UUID | None
    resource_type: str | None = None
    resource_id: str | None = None
    actor_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    resources: frozenset[tuple[str, str]] | None = None


class AuditReader(Protocol):
    @abstractmethod
    async def entries(self, *, clinic_id: UUID | None = None, limit: int = 100) -> Sequence[AuditEntry]:
        """The newest ``limit`` entries in the order written; ``clinic_id`` narrows to one clinic."""
        ...

    @abstractmethod
    async def search(self, query: AuditQuery, *, after: UUID | None, limit: int) -> Sequence[SealedEntry]:
        """Up to ``limit`` entries matching ``query`` with an id above ``after``, by id (UUIDv7,
        so in the order they were made). The caller has checked access to the chain."""
        ...


class AuditChainReader(Protocol):
    """The chains as stored, for verification. Sees every chain (the system's scope)."""

    @abstractmethod
    async def chains(self) -> Sequence[str]:
        """Every chain that has a head, an entry or a checkpoint, sorted."""
        ...

    @abstractmethod
    async def head(self, chain: str) -> ChainHead | None:
        """The chain's recorded head (its newest sequence and hash), None when none is recorded."""
        ...

    @abstractmethod
    async def base(self, chain: str) -> ChainHead:
        """Where the stored chain starts: (0, GENESIS_HASH), or the checkpoint it was pruned to."""
        ...

    @abstractmethod
    def walk(self, chain: str, *, after: int) -> AsyncIterator[SealedEntry]:
        """The chain's stored entries with a sequence above ``after``, in sequence order, read
        in batches (a chain may be long)."""
        ...

    @abstractmethod
    async def checkpoints(self, chain: str) -> Sequence[Checkpoint]:
        """The chain's stored checkpoints, oldest first."""
        ...


class AuditChainKeeper(Protocol):
    """Checkpoints and retention: the only way entries ever leave the trail."""

    @abstractmethod
    async def add_checkpoints(self, checkpoints: Sequence[Checkpoint]) -> None:
        """Store checkpoints (one already stored for the same chain and sequence is kept as is)."""
        ...

    @abstractmethod
    async def first_since(self, chain: str, moment: datetime) -> int | None:
        """The lowest sequence of the chain's stored entries made at or after ``moment``; None
        when every stored entry is older."""
        ...

    @abstractmethod
    async def prune(self, checkpoint: Checkpoint) -> int:
        """In one transaction, make ``checkpoint`` (a stored one) its chain's base and delete the
        chain's entries up to and including its sequence. Returns how many were deleted."""
        ...


class PhiReadAudit(Protocol):
    """Audits reads that returned protected health information."""

    @abstractmethod
    async def record(self, *entries: AuditEntry) -> None:
        """Take entries for reads that happened. An adapter may buffer them: they are durable
        within the configured flush interval and at shutdown, so a crash loses at most one
        interval's reads. Never raises for a store outage (the entries wait for the next flush)."""
        ...
