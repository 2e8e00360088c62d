"""Prune the audit trail: remove entries past retention, up to a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.audit.verification import ChainFault, ChainVerifier
from application.ports.audit import AuditChainKeeper, AuditChainReader
from application.ports.clock import Clock
from domain.audit_chain import ChainSealer, Checkpoint
from domain.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class AuditRetention:
    """How long entries are kept at least (SECURITY_AUDIT_RETENTION_DAYS)."""

    days: int


@dataclass(frozen=True, slots=True)
class PrunedChain:
    """``removed`` entries of the chain, which now starts after ``through``."""

    through: Checkpoint
    removed: int


@dataclass(frozen=True, slots=True)
class PruneResult:
    cutoff: datetime
    pruned: tuple[PrunedChain, ...]
    faults: tuple[ChainFault, ...]


class PruneAuditTrail:
    """Remove old audit entries.

    - Only entries made before both ``before`` and the retention cutoff (now minus the retention
      period) go, and only a whole prefix of a chain up to a stored checkpoint: the chain then
      starts from that checkpoint, and verification starts there.
    - A chain is pruned only if it verifies; chains with a fault are reported and left whole.
    - The database refuses any other deletion (a trigger), so this is the only way out.
    - Operators only (the CLI).
    """

    def __init__(
        self,
        reader: AuditChainReader,
        keeper: AuditChainKeeper,
        sealer: ChainSealer,
        clock: Clock,
        retention: AuditRetention,
    ) -> None:
        self._reader = reader
        self._keeper = keeper
        self._verifier = ChainVerifier(reader, sealer)
        self._clock = clock
        self._retention = retention

    async def __call__(self, before: datetime) -> PruneResult:
        if before.utcoffset() is None:
            raise ValidationFailed(details={"before": "expected a timezone-aware time"})
        cutoff = min(before, self._clock.now() - timedelta(days=self._retention.days))
        pruned: list[PrunedChain] = []
        faults: list[ChainFault] = []
        for chain in await self._reader.chains():
            report = await self._verifier.verify(chain)
            if report.fault is not None:
                faults.append(report.fault)
                continue
            through = await self._prunable(chain, report.base.sequence, report.last.sequence, cutoff)
            if through is not None:
                pruned.append(PrunedChain(through, await self._keeper.prune(through)))
        return PruneResult(cutoff, tuple(pruned), tuple(faults))

    async def _prunable(self, chain: str, base: int, last: int, cutoff: datetime) -> Checkpoint | None:
        """The newest checkpoint past the base below which every entry is older than ``cutoff``."""
        first_recent = await self._keeper.first_since(chain, cutoff)
        limit = last if first_recent is None else first_recent - 1
        eligible = [c for c in await self._reader.checkpoints(chain) if base < c.sequence <= limit]
        return max(eligible, key=lambda c: c.sequence, default=None)
