"""``healthcare keys rotate``: re-encrypt stored PHI under the active key of the ring."""

from __future__ import annotations

import argparse
import sys

from entrypoints.config import Settings

COMMAND = "keys"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser(COMMAND, help="PHI encryption keys")
    rotate = keys.add_subparsers(dest="action", required=True).add_parser(
        "rotate", help="re-encrypt rows sealed under retired keys (resumable)"
    )
    rotate.add_argument("--batch-size", type=int, default=500)


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width if total == 0 else min(width, width * done // total)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from adapters.sql.key_rotation import RotationProgress, rotate_sealed_columns
    from application.ports.crypto import FieldCipher
    from entrypoints.ioc.profiles import build_container

    container = build_container(settings)
    try:
        sessions = await container.get(async_sessionmaker[AsyncSession])
        cipher = await container.get(FieldCipher)

        def show(progress: RotationProgress) -> None:
            print(
                f"\r{progress.table:<18} {_bar(progress.examined, progress.total)}"
                f" re-sealed {progress.rewritten}",
                end="",
                file=sys.stderr,
                flush=True,
            )

        done = await rotate_sealed_columns(sessions, cipher, batch_size=args.batch_size, progress=show)
        print(file=sys.stderr)
        for table in done:
            print(
                f"{table.table}: re-sealed {table.rewritten} of {table.examined} rows under the active key."
            )
        return 0
    finally:
        await container.close()
