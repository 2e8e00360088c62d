"""The audit chain on every backend: concurrent writers with rollbacks, denials audited in their own
transaction, append-only triggers, checkpoints and pruning, and the filtered, paged search."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from audit_backends import SEALER, AuditBackend, Build, open_backend
from sqlalchemy import insert, text

from adapters.sql.audit_records import LegacyAuditEntryRecord
from adapters.sql.engine import EngineOptions, create_engine, session_factory
from adapters.sql.tenancy import SCOPE_KEY
from adapters.sql.uow import SqlUnitOfWork
from application.access import require
from application.audit.checkpoint_audit_trail import CheckpointAuditTrail
from application.audit.prune_audit_trail import AuditRetention, PruneAuditTrail
from application.audit.verify_audit_trail import VerifyAuditTrail
from application.auditing import AuditEntries
from application.ports.audit import AuditQuery
from domain.access import Action, Actor
from domain.audit import PLATFORM_CHAIN, Outcome
from domain.errors import ClinicAccessDenied

BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
SQL = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class RolledBack(Exception):
    pass


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path, clock, ids) -> AsyncIterator[AuditBackend]:
    async with open_backend(request.param, tmp_path, clock, ids) as opened:
        yield opened


@pytest.fixture(params=SQL)
async def sql_backend(
    request: pytest.FixtureRequest, tmp_path: Path, clock, ids
) -> AsyncIterator[AuditBackend]:
    async with open_backend(request.param, tmp_path, clock, ids) as opened:
        yield opened


async def verified(backend: AuditBackend):
    report = await VerifyAuditTrail(backend.reader(), SEALER)()
    await backend.release()
    return report


async def test_twenty_concurrent_writers_with_rollbacks_leave_a_chain_equal_to_what_committed(
    backend: AuditBackend, clock, ids
) -> None:
    build, entries = Build(), AuditEntries(clock, ids)
    clinics = [build.clinic() for _ in range(3)]
    setup = backend.unit()
    for clinic in clinics:
        await setup.clinics.add(clinic)
    await setup.uow.commit()
    committed: list[str] = []

    async def writer(number: int) -> None:
        for step in range(10):
            unit = backend.unit()
            clinic = clinics[(number + step) % len(clinics)]  # writers collide on every chain
            location = build.location(clinic)

            async def work() -> None:
                await unit.locations.add(location)
                unit.uow.record(
                    entries.entry(None, "ADD_LOCATION", "location", location.id, clinic_id=clinic.id)
                )
                if step == 9:  # one transaction in ten is rolled back
                    raise RolledBack()
                await unit.uow.commit()

            try:
                await unit.uow.run(work)
                committed.append(str(location.id))
            except RolledBack:
                pass

    await asyncio.wait_for(asyncio.gather(*(writer(n) for n in range(20))), timeout=120)

    report = await verified(backend)
    assert (report.faults, report.verified) == ((), 180)
    reader = backend.unit()
    audited = [e.resource_id for e in await reader.audit.entries(limit=1000)]
    stored = [
        str(loc.id) for c in clinics for loc in await reader.locations.list(c.id, after=None, limit=1000)
    ]
    assert sorted(audited) == sorted(committed) == sorted(stored)


async def test_two_processes_appending_to_one_chain_stay_in_step(
    sql_backend: AuditBackend, clock, ids
) -> None:
    # A second engine stands for a second process: what each remembers of the head goes stale.
    assert sql_backend.engine is not None
    url = sql_backend.engine.url.render_as_string(hide_password=False)
    async with sql_backend.engine.connect() as connection:
        schema = await connection.scalar(text("SELECT current_schema()")) if "postgresql" in url else None
    other = create_engine(EngineOptions(url=url, search_path=schema))
    entries, clinic = AuditEntries(clock, ids), ids.new_id()
    try:
        factories = [sql_backend.sessions, session_factory(other, app_role=sql_backend.role)]
        for step in range(12):
            async with factories[step % 2]() as session:
                session.info[SCOPE_KEY] = ("*", "")
                uow = SqlUnitOfWork(session)
                uow.record(entries.entry(None, "STEP", "thing", step, clinic_id=clinic))
                await uow.commit()
    finally:
        await other.dispose()
    report = await verified(sql_backend)
    assert (report.faults, report.verified) == ((), 12)


async def test_a_denied_attempt_is_rolled_back_and_audited_once_in_its_own_transaction(
    backend: AuditBackend, clock, ids
) -> None:
    build, entries = Build(), AuditEntries(clock, ids)
    clinic = build.clinic()
    outsider = Actor(user_id=ids.new_id(), request_id="req-denied", client_ip="203.0.113.9")
    unit = backend.unit(audit=entries)

    async def work() -> None:
        await unit.clinics.add(clinic)  # staged before the check: must not survive it
        require(outsider, Action.UPDATE_CLINIC, clinic.id)

    with pytest.raises(ClinicAccessDenied) as refused:
        await unit.uow.run(work)

    assert refused.value.denial is None  # taken by the unit that recorded it
    reader = backend.unit()
    assert await reader.clinics.get(clinic.id) is None
    [entry] = await reader.audit.entries()
    assert (entry.outcome, entry.action, entry.actor_id, entry.clinic_id) == (
        Outcome.DENIED,
        "UPDATE_CLINIC",
        outsider.user_id,
        clinic.id,
    )
    assert (entry.request_id, entry.client_ip, entry.actor_role) == ("req-denied", "203.0.113.9", None)
    assert (await verified(backend)).faults == ()


async def test_the_search_filters_and_pages_one_chain(backend: AuditBackend, clock, ids) -> None:
    entries = AuditEntries(clock, ids)
    a, b, actor = ids.new_id(), ids.new_id(), Actor(user_id=ids.new_id(), is_super_admin=True)
    made = []
    for n in range(7):
        clock.advance(minutes=1)
        made.append(
            entries.entry(
                actor if n % 2 else None, "UPDATE", "clinic" if n < 5 else "location", n, clinic_id=a
            )
        )
    unit = backend.unit()
    unit.uow.record(*made, entries.entry(None, "UPDATE", "clinic", 0, clinic_id=b))
    unit.uow.record(entries.entry(None, "CREATE_USER", "user", 0, clinic_id=None))
    await unit.uow.commit()
    audit = backend.unit().audit

    async def ids_of(query: AuditQuery, after=None, limit=100):
        return [s.entry.resource_id for s in await audit.search(query, after=after, limit=limit)]

    assert await ids_of(AuditQuery(clinic_id=a)) == [str(n) for n in range(7)]
    assert await ids_of(AuditQuery(clinic_id=a, resource_type="location")) == ["5", "6"]
    assert await ids_of(AuditQuery(clinic_id=a, resource_type="clinic", resource_id="3")) == ["3"]
    assert await ids_of(AuditQuery(clinic_id=a, actor_id=actor.user_id)) == ["1", "3", "5"]
    window = AuditQuery(clinic_id=a, since=made[2].occurred_at, until=made[4].occurred_at)
    assert await ids_of(window) == ["2", "3"]
    first = await audit.search(AuditQuery(clinic_id=a), after=None, limit=3)
    assert await ids_of(AuditQuery(clinic_id=a), after=first[-1].entry.id, limit=3) == ["3", "4", "5"]
    [platform] = await audit.search(AuditQuery(clinic_id=None), after=None, limit=10)
    assert (platform.entry.chain, platform.sequence, platform.entry.action) == (
        PLATFORM_CHAIN,
        1,
        "CREATE_USER",
    )


async def test_checkpoint_then_prune_removes_only_old_covered_entries(
    backend: AuditBackend, clock, ids
) -> None:
    entries, clinic = AuditEntries(clock, ids), ids.new_id()
    chain = str(clinic)

    async def write(count: int, clinic_id=clinic) -> None:
        unit = backend.unit()
        unit.uow.record(*(entries.entry(None, "SEED", "thing", n, clinic_id=clinic_id) for n in range(count)))
        await unit.uow.commit()

    await write(10)
    await write(5, clinic_id=None)
    result = await CheckpointAuditTrail(backend.reader(), backend.keeper(), SEALER, clock)()
    await backend.release()
    assert [(c.chain, c.sequence) for c in result.checkpoints] == [(chain, 10), (PLATFORM_CHAIN, 5)]
    clock.advance(days=1)
    await write(5)  # 11..15: not covered by a checkpoint

    def prune() -> PruneAuditTrail:
        return PruneAuditTrail(backend.reader(), backend.keeper(), SEALER, clock, AuditRetention(30))

    clock.advance(days=20)  # everything is younger than the retention period: nothing goes
    assert (await prune()(clock.now())).pruned == ()
    await backend.release()
    clock.advance(days=20)
    done = await prune()(clock.now())
    await backend.release()
    assert sorted((p.through.chain, p.through.sequence, p.removed) for p in done.pruned) == sorted(
        [(chain, 10, 10), (PLATFORM_CHAIN, 5, 5)]
    )
    if backend.engine is not None:  # what no checkpoint covers stays undeletable, for the owner too
        with pytest.raises(Exception, match="append-only"):
            async with backend.engine.begin() as connection:
                await connection.execute(text("DELETE FROM audit_entries"))
    await write(1)  # the chain goes on after a prune
    report = await verified(backend)
    assert report.faults == ()
    assert {(r.chain, r.base.sequence, r.verified) for r in report.chains} == {
        (chain, 10, 6),
        (PLATFORM_CHAIN, 5, 0),
    }
    assert [e.resource_id for e in await backend.unit().audit.entries(clinic_id=clinic)] == [
        *map(str, range(5)),
        "0",
    ]


async def test_triggers_refuse_update_and_delete_even_for_the_owner(
    sql_backend: AuditBackend, clock, ids
) -> None:
    entries, clinic = AuditEntries(clock, ids), ids.new_id()
    unit = sql_backend.unit()
    unit.uow.record(*(entries.entry(None, "SEED", "thing", n, clinic_id=clinic) for n in range(3)))
    await unit.uow.commit()
    await CheckpointAuditTrail(sql_backend.reader(), sql_backend.keeper(), SEALER, clock)()
    await sql_backend.release()
    refused = [
        "UPDATE audit_entries SET action = 'EDITED'",
        "DELETE FROM audit_entries",
        "UPDATE audit_checkpoints SET hash = 'x'",
        "DELETE FROM audit_checkpoints",
        "UPDATE audit_entries_legacy SET action = 'EDITED'",
    ]
    if sql_backend.name == "postgres":
        refused.append("TRUNCATE audit_entries")
    assert sql_backend.engine is not None
    async with sql_backend.engine.begin() as connection:  # appending is allowed, to every table
        legacy = LegacyAuditEntryRecord.__table__
        row = {"id": ids.new_id(), "occurred_at": clock.now(), "actor_id": None, "clinic_id": None}
        fields = {"action": "OLD", "resource_type": "thing", "resource_id": "1", "request_id": None}
        await connection.execute(insert(legacy).values(**row, **fields, outcome="SUCCESS"))
    for statement in refused:
        with pytest.raises(Exception, match="append-only") as raised:
            async with sql_backend.engine.begin() as connection:  # the tables' owner
                await connection.execute(text(statement))
        assert "refused" in str(raised.value), statement
    assert (await verified(sql_backend)).verified == 3
