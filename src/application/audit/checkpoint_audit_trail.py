"""Checkpoint the audit trail: verify every chain, then store and return each chain's head."""

from __future__ import annotations

from dataclasses import dataclass

from application.audit.verification import ChainFault, ChainVerifier
from application.ports.audit import AuditChainKeeper, AuditChainReader
from application.ports.clock import Clock
from domain.audit_chain import ChainSealer, Checkpoint


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    """``checkpoints`` were stored (one per non-empty chain); with ``faults`` nothing was stored."""

    checkpoints: tuple[Checkpoint, ...]
    faults: tuple[ChainFault, ...]


class CheckpointAuditTrail:
    """Checkpoint the audit trail.

    - Every chain is verified first: a checkpoint vouches for what it covers, so if any chain has
      a fault nothing is stored and the faults are returned.
    - Each non-empty chain's verified head (sequence, hash) is stored as a checkpoint and
      returned, to be kept outside the database too: compared later, it exposes a rewrite of
      the whole table, which the database alone cannot.
    - Operators only (the CLI).
    """

    def __init__(
        self, reader: AuditChainReader, keeper: AuditChainKeeper, sealer: ChainSealer, clock: Clock
    ) -> None:
        self._reader = reader
        self._keeper = keeper
        self._verifier = ChainVerifier(reader, sealer)
        self._clock = clock

    async def __call__(self) -> CheckpointResult:
        reports = [await self._verifier.verify(chain) for chain in await self._reader.chains()]
        faults = tuple(r.fault for r in reports if r.fault is not None)
        if faults:
            return CheckpointResult((), faults)
        now = self._clock.now()
        checkpoints = tuple(
            Checkpoint(r.chain, r.last.sequence, r.last.hash, now) for r in reports if r.last.sequence > 0
        )
        await self._keeper.add_checkpoints(checkpoints)
        return CheckpointResult(checkpoints, ())
