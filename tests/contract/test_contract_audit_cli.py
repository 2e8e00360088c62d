"""``healthcare audit verify | checkpoint | prune`` on the embedded profile (SQLite), called the way
the CLI calls its extension modules: ``add_parser`` then ``run(args, settings)``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.sql.engine import EngineOptions, create_engine
from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from entrypoints import cli_audit
from entrypoints.bootstrap import as_system, prepare_store
from entrypoints.config import Settings, load_settings
from entrypoints.ioc.profiles import build_container


def embedded(tmp_path: Path) -> Settings:
    environ = {"APP_PROFILE": "embedded", "APP_ENV": "test", "APP_DATA_DIR": str(tmp_path / "data")}
    return load_settings(environ, base_dir=tmp_path, in_container=False)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="healthcare")
    cli_audit.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["audit", *argv])


@pytest.fixture
async def seeded(tmp_path: Path) -> Settings:
    """An embedded store with demo data and a second super admin: entries in two chains."""
    settings = embedded(tmp_path)
    container = build_container(settings)
    try:
        await prepare_store(container, settings)
        async with container() as request:
            await as_system(request)
            create = await request.get(CreateSuperAdmin)
            await create(CreateSuperAdminCommand(email="ops@example.com", name="Ops"))
    finally:
        await container.close()
    return settings


async def edit_entry(settings: Settings, sequence: int) -> None:
    engine = create_engine(EngineOptions(url=settings.database.url))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP TRIGGER audit_entries_no_update"))
            await connection.execute(
                text("UPDATE audit_entries SET action = 'EDITED' WHERE chain = 'platform' AND sequence = :s"),
                {"s": sequence},
            )
    finally:
        await engine.dispose()


async def test_verify_checkpoint_and_prune(seeded: Settings, tmp_path: Path, capsys) -> None:
    assert await cli_audit.run(parse("verify"), seeded) == 0
    out = capsys.readouterr().out
    assert "platform" in out and "OK" in out and "BROKEN" not in out

    assert await cli_audit.run(parse("checkpoint"), seeded) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 2 and all(len(line.split("\t")) == 4 for line in printed)
    kept = tmp_path / "kept.txt"
    kept.write_text("\n".join(printed))

    # Nothing is old enough to go: the retention period is seven years.
    assert await cli_audit.run(parse("prune", "--before", "2100-01-01"), seeded) == 0
    assert "Removed 0 entries" in capsys.readouterr().out

    await edit_entry(seeded, 1)
    assert await cli_audit.run(parse("verify", "--checkpoints", str(kept)), seeded) == 1
    broken = capsys.readouterr()
    assert "AUDIT_CHAIN_BROKEN: chain platform, sequence 1: hash mismatch" in broken.err
    clinic_chain = next(line.split("\t")[0] for line in printed if not line.startswith("platform"))
    assert await cli_audit.run(parse("verify", "--clinic", clinic_chain), seeded) == 0  # that chain is whole
    assert "in 1 chains" in capsys.readouterr().out
    assert await cli_audit.run(parse("checkpoint"), seeded) == 1  # a broken trail is never vouched for
    assert "AUDIT_CHAIN_BROKEN" in capsys.readouterr().err
