"""What the tamper-evident audit trail costs on PostgreSQL, in one bounded run.

Each write is one unit of work: a location added to a clinic, committed. "audited" records its
audit entry too, sealed into the clinic's chain in the same transaction (the chain head locked
FOR UPDATE until COMMIT); "plain" is the same write without the entry. Writers run for a fixed
time at 1, 8 and 32 concurrent writers, spread over many clinics (the usual case: chains do not
contend) and all in one clinic (the worst case: one chain, so its commits serialise). Then
100,000 entries are written to one chain and verified. Runs as the restricted application role
(row-level security on), in its own schema, dropped at the end. Prints a table and writes
bench/results/audit.json.

    make bench     # or: .venv/bin/python bench/audit.py --seconds 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from adapters.sql.audit_maintenance import SqlAuditChainReader  # noqa: E402
from adapters.sql.engine import EngineOptions, create_engine, session_factory  # noqa: E402
from adapters.sql.migrate import migrate  # noqa: E402
from adapters.sql.repositories import SqlClinicRepository, SqlLocationRepository  # noqa: E402
from adapters.sql.tenancy import SCOPE_KEY  # noqa: E402
from adapters.sql.uow import SqlUnitOfWork  # noqa: E402
from adapters.system.clock import SystemClock  # noqa: E402
from adapters.system.ids import UuidV7Generator  # noqa: E402
from application.audit.verify_audit_trail import VerifyAuditTrail  # noqa: E402
from application.auditing import AuditEntries  # noqa: E402
from domain.audit_chain import ChainSealer  # noqa: E402
from domain.clinics import Clinic, ClinicLocation  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SEALER = ChainSealer(b"bench audit key")
CLOCK, IDS = SystemClock(), UuidV7Generator()
ENTRIES = AuditEntries(CLOCK, IDS)
CLINICS = 64
VERIFIED = 100_000


def new_clinic() -> Clinic:
    now = CLOCK.now()
    return Clinic(id=IDS.new_id(), name="Bench", time_zone="UTC", created_at=now, updated_at=now)


async def write_once(sessions, clinic: Clinic, *, audited: bool) -> None:
    """One unit of work: a location added to ``clinic`` (and, audited, its entry), committed."""
    async with sessions() as session:
        session.info[SCOPE_KEY] = ("*", "")
        uow = SqlUnitOfWork(session, sealer=SEALER)
        location = ClinicLocation(
            id=IDS.new_id(), clinic_id=clinic.id, name="L", address="1 St", created_at=CLOCK.now()
        )

        async def work() -> None:
            await SqlLocationRepository(session).add(location)
            if audited:
                uow.record(ENTRIES.entry(None, "ADD_LOCATION", "location", location.id, clinic_id=clinic.id))
            await uow.commit()

        await uow.run(work)


async def run_writers(sessions, clinics, *, writers: int, audited: bool, seconds: float, hot: bool) -> float:
    """Writes per second of ``writers`` concurrent writers for ``seconds``."""
    deadline = time.perf_counter() + seconds
    done = 0

    async def writer(number: int) -> None:
        nonlocal done
        step = 0
        while time.perf_counter() < deadline:
            # Spread: at each step the writers aim at distinct clinics. Hot: all at the first.
            clinic = clinics[0] if hot else clinics[(number + step * writers) % len(clinics)]
            await write_once(sessions, clinic, audited=audited)
            done += 1
            step += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in range(writers)))
    return done / (time.perf_counter() - started)


async def verify_time(sessions) -> float:
    chain_clinic = IDS.new_id()
    for start in range(0, VERIFIED, 10_000):
        async with sessions() as session:
            session.info[SCOPE_KEY] = ("*", "")
            uow = SqlUnitOfWork(session, sealer=SEALER)
            uow.record(
                *(
                    ENTRIES.entry(None, "SEED", "thing", n, clinic_id=chain_clinic)
                    for n in range(start, start + 10_000)
                )
            )
            await uow.commit()
    async with sessions() as session:
        session.info[SCOPE_KEY] = ("*", "")
        started = time.perf_counter()
        report = await VerifyAuditTrail(SqlAuditChainReader(session), SEALER)(str(chain_clinic))
        elapsed = time.perf_counter() - started
    assert report.faults == () and report.verified == VERIFIED, report
    return elapsed


async def bench(seconds: float) -> dict:
    schema = f"bench_audit_{uuid.uuid4().hex}"
    role = f"{schema}_app"
    admin = create_async_engine(URL, poolclass=NullPool)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(EngineOptions(url=URL, pool_size=32, max_overflow=2, search_path=schema))
    try:
        await migrate(engine, app_role=role)
        sessions = session_factory(engine, app_role=role)
        clinics = [new_clinic() for _ in range(CLINICS)]
        async with sessions() as session:
            session.info[SCOPE_KEY] = ("*", "")
            for clinic in clinics:
                await SqlClinicRepository(session).add(clinic)
            await session.commit()
        await run_writers(sessions, clinics, writers=8, audited=True, seconds=1, hot=False)  # warm-up
        rows = []
        for hot in (False, True):
            for writers in (1, 8, 32):
                plain = await run_writers(
                    sessions, clinics, writers=writers, audited=False, seconds=seconds, hot=hot
                )
                audited = await run_writers(
                    sessions, clinics, writers=writers, audited=True, seconds=seconds, hot=hot
                )
                rows.append(
                    {
                        "clinics": "one" if hot else "spread",
                        "writers": writers,
                        "plain": plain,
                        "audited": audited,
                    }
                )
        return {"writes": rows, "verify_100k_seconds": await verify_time(sessions)}
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if await connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                await connection.execute(text(f'DROP OWNED BY "{role}"'))
                await connection.execute(text(f'DROP ROLE "{role}"'))
        await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per cell (12 cells)")
    args = parser.parse_args()
    result = asyncio.run(bench(args.seconds))
    print("| clinics | writers | plain writes/s | audited writes/s | audited / plain |")
    print("|---|---|---|---|---|")
    for row in result["writes"]:
        plain, audited = row["plain"], row["audited"]
        print(
            f"| {row['clinics']} | {row['writers']} | {plain:.0f} | {audited:.0f} | {audited / plain:.2f}x |"
        )
    print(f"\nVerified {VERIFIED:,} entries in {result['verify_100k_seconds']:.2f} s.")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "audit.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
