"""Tamper evidence over a chain of 100,000 entries, on every backend: an edited, deleted, swapped,
forged or truncated entry is each named by (chain, first bad sequence); the untouched chain
verifies. Also: a rewrite re-sealed with the key is caught by checkpoints kept elsewhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from uuid import UUID

import pytest
from audit_backends import SEALER, AuditBackend, open_backend

from application.audit.checkpoint_audit_trail import CheckpointAuditTrail
from application.audit.verification import ChainFault
from application.audit.verify_audit_trail import VerifyAuditTrail
from application.auditing import AuditEntries
from domain.audit_chain import ChainHead, ChainSealer, Checkpoint, SealedEntry

BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
SIZE = 100_000
BATCH = 10_000


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path, clock, ids) -> AsyncIterator[AuditBackend]:
    async with open_backend(request.param, tmp_path, clock, ids) as opened:
        yield opened


async def write_chain(backend: AuditBackend, entries: AuditEntries, clinic: UUID, size: int) -> None:
    for start in range(0, size, BATCH):
        unit = backend.unit()
        unit.uow.record(
            *(
                entries.entry(None, "SEED", "thing", n, clinic_id=clinic)
                for n in range(start, min(start + BATCH, size))
            )
        )
        await unit.uow.commit()


async def first_fault(backend: AuditBackend, chain: str, **kept) -> ChainFault | None:
    report = await VerifyAuditTrail(backend.reader(), SEALER)(chain, **kept)
    await backend.release()
    assert len(report.chains) == 1
    return report.chains[0].fault


async def test_every_kind_of_tampering_is_named_in_a_100k_chain(backend: AuditBackend, clock, ids) -> None:
    entries, clinic = AuditEntries(clock, ids), ids.new_id()
    chain, tamper = str(clinic), backend.tamper
    await write_chain(backend, entries, clinic, SIZE)

    report = await VerifyAuditTrail(backend.reader(), SEALER)()
    await backend.release()
    assert (report.faults, report.verified) == ((), SIZE)
    stored = {sealed.sequence: sealed for sealed in await tamper.rows(chain)}
    assert sorted(stored) == list(range(1, SIZE + 1))

    def at(sequence: int, problem: str) -> tuple[str, int, str]:
        return (chain, sequence, problem)

    def seen(fault: ChainFault | None) -> tuple[str, int, str]:
        assert fault is not None
        return (fault.chain, fault.sequence, fault.problem.split(":")[0])

    # Edited: one field of one entry.
    original = stored[50_000]
    await tamper.put(replace(original, entry=replace(original.entry, action="EDITED")))
    assert seen(await first_fault(backend, chain)) == at(50_000, "hash mismatch")
    await tamper.put(original)

    # Deleted: one entry in the middle.
    await tamper.remove(chain, 70_000)
    assert seen(await first_fault(backend, chain)) == at(70_000, "missing")
    await tamper.put(stored[70_000])

    # Swapped: two neighbours change places, each with its own hash.
    a, b = stored[20_000], stored[20_001]
    await tamper.put(SealedEntry(b.entry, 20_000, b.hash))
    await tamper.put(SealedEntry(a.entry, 20_001, a.hash))
    assert seen(await first_fault(backend, chain)) == at(20_000, "hash mismatch")
    await tamper.put(a)
    await tamper.put(b)

    # Forged: an entry appended without the key, the head moved to it.
    fake = entries.entry(None, "FORGED", "thing", "x", clinic_id=clinic)
    forged = SealedEntry(fake, SIZE + 1, ChainSealer(b"not the key").seal(stored[SIZE].hash, fake, SIZE + 1))
    await tamper.put(forged)
    await tamper.set_head(ChainHead(chain, SIZE + 1, forged.hash))
    assert seen(await first_fault(backend, chain)) == at(SIZE + 1, "hash mismatch")
    await tamper.remove(chain, SIZE + 1)
    await tamper.set_head(ChainHead(chain, SIZE, stored[SIZE].hash))

    # Truncated: the last ten entries gone, the head left as it was.
    for sequence in range(SIZE - 9, SIZE + 1):
        await tamper.remove(chain, sequence)
    assert seen(await first_fault(backend, chain)) == at(SIZE - 9, "truncated")
    for sequence in range(SIZE - 9, SIZE + 1):
        await tamper.put(stored[sequence])


async def test_a_rewrite_resealed_with_the_key_is_caught_only_by_checkpoints(
    backend: AuditBackend, clock, ids
) -> None:
    entries, clinic = AuditEntries(clock, ids), ids.new_id()
    chain, tamper = str(clinic), backend.tamper
    await write_chain(backend, entries, clinic, 50)
    rows = await tamper.rows(chain)
    kept = [Checkpoint(chain, 50, rows[49].hash, clock.now())]  # printed earlier, kept elsewhere

    # Someone with the key and the database rewrites entry 30 and re-seals everything after it.
    previous = rows[28].hash
    for sealed in rows[29:]:
        entry = replace(sealed.entry, action="REWRITTEN") if sealed.sequence == 30 else sealed.entry
        previous = SEALER.seal(previous, entry, sealed.sequence)
        await tamper.put(SealedEntry(entry, sealed.sequence, previous))
    await tamper.set_head(ChainHead(chain, 50, previous))

    assert await first_fault(backend, chain) is None  # the database alone cannot tell
    fault = await first_fault(backend, chain, kept=kept)
    assert fault is not None and (fault.sequence, fault.problem.split(":")[0]) == (
        50,
        "differs from a checkpoint",
    )
    stored = await CheckpointAuditTrail(backend.reader(), backend.keeper(), SEALER, clock)()
    fault = await first_fault(backend, chain, kept=kept)  # now stored and kept disagree outright
    assert stored.checkpoints and fault is not None and "kept elsewhere" in fault.problem


async def test_a_truncation_that_also_rolls_the_head_back_is_caught_by_a_checkpoint(
    backend: AuditBackend, clock, ids
) -> None:
    entries, clinic = AuditEntries(clock, ids), ids.new_id()
    chain, tamper = str(clinic), backend.tamper
    await write_chain(backend, entries, clinic, 40)
    await CheckpointAuditTrail(backend.reader(), backend.keeper(), SEALER, clock)()
    rows = await tamper.rows(chain)
    for sequence in range(31, 41):
        await tamper.remove(chain, sequence)
    await tamper.set_head(ChainHead(chain, 30, rows[29].hash))

    fault = await first_fault(backend, chain)
    assert fault is not None and (fault.sequence, fault.problem) == (31, "truncated: a checkpoint is at 40")
