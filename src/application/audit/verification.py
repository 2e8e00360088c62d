"""Walking a chain and recomputing every hash: the shared core of verify, checkpoint and prune."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from application.ports.audit import AuditChainReader
from domain.audit_chain import ChainHead, ChainSealer, Checkpoint


@dataclass(frozen=True, slots=True)
class ChainFault:
    """The first bad place of a chain: the sequence number where it stops being trustworthy."""

    chain: str
    sequence: int
    problem: str

    def __str__(self) -> str:
        return f"chain {self.chain}, sequence {self.sequence}: {self.problem}"


@dataclass(frozen=True, slots=True)
class ChainReport:
    """``verified`` entries were recomputed, from ``base`` (genesis or the checkpoint the chain was
    pruned to) up to ``last``; ``fault`` is the first problem found, None when there was none."""

    chain: str
    base: ChainHead
    last: ChainHead
    verified: int
    fault: ChainFault | None


class ChainVerifier:
    """Proves a chain as stored is the chain as sealed.

    What it catches, each named by (chain, first bad sequence):
    - an edited, swapped or forged entry: its recomputed hash differs;
    - a deleted entry: a gap in the sequence numbers;
    - a truncated tail: the recorded head, or a stored checkpoint, lies past the last entry;
    - a chain rewritten and re-sealed with the key: a stored checkpoint disagrees with it.
    A rewrite of the entries, the head and the checkpoints together is caught only by comparing
    with checkpoints kept outside the database (``healthcare audit checkpoint``).
    """

    def __init__(self, reader: AuditChainReader, sealer: ChainSealer) -> None:
        self._reader = reader
        self._sealer = sealer

    async def verify(self, chain: str, kept: Iterable[Checkpoint] = ()) -> ChainReport:
        """Verify ``chain`` against its stored checkpoints and those ``kept`` outside the database."""
        # The head is read first: entries appended while we walk lie past it and are still checked.
        head = await self._reader.head(chain)
        base = await self._reader.base(chain)
        checkpoints = {c.sequence: c.hash for c in await self._reader.checkpoints(chain)}
        last, verified = base, 0

        def report(sequence: int, problem: str) -> ChainReport:
            return ChainReport(chain, base, last, verified, ChainFault(chain, sequence, problem))

        for outside in (c for c in kept if c.chain == chain):
            if checkpoints.setdefault(outside.sequence, outside.hash) != outside.hash:
                return report(outside.sequence, "a stored checkpoint differs from the one kept elsewhere")
        if base.sequence and checkpoints.get(base.sequence) != base.hash:
            return report(base.sequence, "pruned to a point no stored checkpoint covers")
        async for sealed in self._reader.walk(chain, after=base.sequence):
            expected = last.sequence + 1
            if sealed.sequence != expected:
                return report(expected, "missing: deleted, or a gap in the chain")
            if self._sealer.seal(last.hash, sealed.entry, expected) != sealed.hash:
                return report(expected, "hash mismatch: edited, swapped or forged")
            if checkpoints.get(expected, sealed.hash) != sealed.hash:
                return report(expected, "differs from a checkpoint: the chain was re-sealed")
            if head is not None and expected == head.sequence and head.hash != sealed.hash:
                return report(expected, "differs from the recorded head")
            last, verified = ChainHead(chain, expected, sealed.hash), verified + 1
        beyond = max((s for s in checkpoints if s > last.sequence), default=None)
        if beyond is not None:
            return report(last.sequence + 1, f"truncated: a checkpoint is at {beyond}")
        if head is None and last.sequence > base.sequence:
            return report(base.sequence + 1, "the chain has entries but no recorded head")
        if head is not None and head.sequence > last.sequence:
            return report(last.sequence + 1, f"truncated: the recorded head is at {head.sequence}")
        return ChainReport(chain, base, last, verified, None)
