"""``healthcare audit verify | checkpoint | prune``: the operator's side of the audit trail.

- ``verify [--clinic ID|platform] [--checkpoints FILE]`` recomputes every hash; exit 1 naming the
  first bad (chain, sequence) of each broken chain. FILE holds checkpoints kept elsewhere (the
  output of ``checkpoint``), which exposes even a rewrite of the whole table.
- ``checkpoint`` verifies, then stores each chain's head and prints it: ``chain sequence hash time``.
- ``prune --before DATE`` removes entries older than DATE and than the retention period, up to a
  checkpoint. It deletes, which the application role may not: it connects as the tables' owner
  (DATABASE_MIGRATE_URL). Verify and checkpoint use DATABASE_URL with the system scope.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.system.clock import SystemClock
from application.audit.checkpoint_audit_trail import CheckpointAuditTrail
from application.audit.prune_audit_trail import AuditRetention, PruneAuditTrail
from application.audit.verify_audit_trail import VerifyAuditTrail
from application.ports.audit import AuditChainKeeper, AuditChainReader
from domain.audit import PLATFORM_CHAIN
from domain.audit_chain import ChainSealer, Checkpoint
from entrypoints.config import Settings

COMMAND = "audit"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser(COMMAND, help="the tamper-evident audit trail")
    actions = audit.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="recompute every hash; exit 1 naming the first bad entry")
    verify.add_argument("--clinic", help="only this clinic's chain (a clinic id, or 'platform')")
    verify.add_argument(
        "--checkpoints", type=Path, help="checkpoints kept elsewhere, as printed by checkpoint"
    )
    actions.add_parser("checkpoint", help="verify, then store and print each chain's head")
    prune = actions.add_parser("prune", help="remove entries past retention, up to a checkpoint")
    prune.add_argument("--before", required=True, type=date.fromisoformat, help="YYYY-MM-DD (UTC)")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    sealer = ChainSealer(settings.security.audit_key.encode())
    async with _trail(settings, owner=args.action == "prune") as (reader, keeper):
        if args.action == "verify":
            kept = _read_checkpoints(args.checkpoints) if args.checkpoints else ()
            return await _verify(VerifyAuditTrail(reader, sealer), _chain(args.clinic), kept)
        if args.action == "checkpoint":
            return await _checkpoint(CheckpointAuditTrail(reader, keeper, sealer, SystemClock()))
        retention = AuditRetention(settings.security.audit_retention_days)
        prune = PruneAuditTrail(reader, keeper, sealer, SystemClock(), retention)
        return await _prune(prune, datetime.combine(args.before, datetime.min.time(), tzinfo=UTC))


async def _verify(verify: VerifyAuditTrail, chain: str | None, kept: tuple[Checkpoint, ...]) -> int:
    report = await verify(chain, kept=kept)
    for each in report.chains:
        state = "OK" if each.fault is None else "BROKEN"
        print(f"{each.chain}\t{each.verified} entries after sequence {each.base.sequence}\t{state}")
    for fault in report.faults:
        print(f"AUDIT_CHAIN_BROKEN: {fault}", file=sys.stderr)
    print(f"Verified {report.verified} entries in {len(report.chains)} chains.")
    return 1 if report.faults else 0


async def _checkpoint(checkpoint: CheckpointAuditTrail) -> int:
    result = await checkpoint()
    for fault in result.faults:
        print(f"AUDIT_CHAIN_BROKEN: {fault}", file=sys.stderr)
    for c in result.checkpoints:
        print(f"{c.chain}\t{c.sequence}\t{c.hash}\t{c.created_at.isoformat()}")
    return 1 if result.faults else 0


async def _prune(prune: PruneAuditTrail, before: datetime) -> int:
    result = await prune(before)
    for pruned in result.pruned:
        print(f"{pruned.through.chain}\tremoved {pruned.removed}\tnow starts after {pruned.through.sequence}")
    for fault in result.faults:
        print(f"AUDIT_CHAIN_BROKEN (left whole): {fault}", file=sys.stderr)
    removed = sum(p.removed for p in result.pruned)
    print(f"Removed {removed} entries made before {result.cutoff.isoformat()}.")
    return 1 if result.faults else 0


def _chain(clinic: str | None) -> str | None:
    """A clinic id as its chain is named (canonical UUID text), or ``platform``."""
    if clinic is None or clinic == PLATFORM_CHAIN:
        return clinic
    try:
        return str(UUID(clinic))
    except ValueError:
        raise SystemExit(f"--clinic: expected a clinic id or {PLATFORM_CHAIN!r}") from None


def _read_checkpoints(path: Path) -> tuple[Checkpoint, ...]:
    kept = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[1].isdigit():
            kept.append(Checkpoint(fields[0], int(fields[1]), fields[2], datetime.now(UTC)))
    return tuple(kept)


@asynccontextmanager
async def _trail(
    settings: Settings, *, owner: bool
) -> AsyncIterator[tuple[AuditChainReader, AuditChainKeeper]]:
    from entrypoints.config.sections import Profile

    if settings.app.profile is Profile.MEMORY:  # each CLI call starts with an empty store
        from adapters.memory.audit_chain import InMemoryAuditChainKeeper, InMemoryAuditChainReader
        from adapters.memory.store import InMemoryStore

        store = InMemoryStore()
        yield InMemoryAuditChainReader(store), InMemoryAuditChainKeeper(store)
        return
    async with _sql_trail(settings, owner=owner) as trail:
        yield trail


@asynccontextmanager
async def _sql_trail(settings: Settings, *, owner: bool) -> AsyncIterator[Any]:
    from adapters.sql.audit_maintenance import SqlAuditChainKeeper, SqlAuditChainReader
    from adapters.sql.engine import create_engine, session_factory
    from adapters.sql.migrate import migrate
    from adapters.sql.tenancy import SqlTenantScope
    from entrypoints.ioc.persistence import engine_options
    from entrypoints.ioc.profiles import PROFILES

    url = settings.database.migrate_url if owner else settings.database.url
    engine = create_engine(engine_options(settings, url=url))
    try:
        if PROFILES[settings.app.profile].migrate_on_start:
            await migrate(engine, app_role=settings.database.app_role or None)
        sessions = session_factory(engine, app_role=None if owner else settings.database.app_role or None)
        async with sessions() as reading, sessions() as keeping:
            for session in (reading, keeping):  # the operator's tool sees every clinic's chain
                await SqlTenantScope(session).apply(user_id=None, clinic_ids=None)
            yield SqlAuditChainReader(reading), SqlAuditChainKeeper(keeping)
    finally:
        await engine.dispose()
