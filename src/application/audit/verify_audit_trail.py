"""Verify the audit trail: recompute every hash of every chain (or of one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.audit.verification import ChainFault, ChainReport, ChainVerifier
from application.ports.audit import AuditChainReader
from domain.audit_chain import ChainSealer, Checkpoint


@dataclass(frozen=True, slots=True)
class TrailReport:
    chains: tuple[ChainReport, ...]

    @property
    def faults(self) -> tuple[ChainFault, ...]:
        return tuple(r.fault for r in self.chains if r.fault is not None)

    @property
    def verified(self) -> int:
        return sum(r.verified for r in self.chains)


class VerifyAuditTrail:
    """Verify the audit trail.

    - Every chain is walked from its base (genesis, or the checkpoint it was pruned to) and every
      hash recomputed with the audit key; each chain reports its first bad sequence, if any.
    - ``chain`` narrows to one chain (a clinic id, or ``platform``); an unknown chain is empty.
    - ``kept``: checkpoints kept outside the database (printed by an earlier checkpoint). Each
      must match the chain at its sequence, and the chain must reach it: this catches a rewrite
      of the whole table, checkpoints included, which nothing inside the database can.
    - Operators only (the CLI): it reads every clinic's entries.
    """

    def __init__(self, reader: AuditChainReader, sealer: ChainSealer) -> None:
        self._reader = reader
        self._verifier = ChainVerifier(reader, sealer)

    async def __call__(self, chain: str | None = None, *, kept: Sequence[Checkpoint] = ()) -> TrailReport:
        if chain is not None:
            chains = [chain]
        else:  # a chain known only from outside (deleted whole) must be walked too
            chains = sorted({*await self._reader.chains(), *(c.chain for c in kept)})
        return TrailReport(tuple([await self._verifier.verify(c, kept) for c in chains]))
