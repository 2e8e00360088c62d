"""``healthcare records purge [--before DATE]``: remove deleted patient records past retention.

A deleted record is kept, sealed and hidden, for SECURITY_RECORDS_RETENTION_DAYS; this removes
those deleted longer ago than that (and before DATE, when given), in every clinic, each removal
audited on its clinic's chain. Run it from a scheduler (daily is plenty). It acts as the system
with the same settings as the server.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from entrypoints.config import Settings

COMMAND = "records"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    records = commands.add_parser(COMMAND, help="patients' records (retention)")
    actions = records.add_subparsers(dest="action", required=True)
    purge = actions.add_parser("purge", help="remove deleted records past the retention period")
    purge.add_argument("--before", type=date.fromisoformat, help="only those deleted before YYYY-MM-DD (UTC)")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from application.patients.purge_patient_records import PurgePatientRecords
    from entrypoints.bootstrap import as_system, prepare_store
    from entrypoints.ioc.profiles import build_container

    before = datetime.combine(args.before, datetime.min.time(), tzinfo=UTC) if args.before else None
    container = build_container(settings)
    try:
        await prepare_store(container, settings)
        async with container() as request:
            await as_system(request)
            result = await (await request.get(PurgePatientRecords))(before)
    finally:
        await container.close()
    print(f"Purged {result.purged} patient record(s) deleted before {result.cutoff:%Y-%m-%d %H:%M:%S} UTC.")
    return 0
