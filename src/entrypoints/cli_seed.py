"""``healthcare seed-demo``: fill a clinic group with invented doctors, patients, appointments
and prescriptions, for demos and load tests. Never point it at a database holding real patients.

Each run adds NEW clinics (``--clinics``), each with two locations, an admin
(``admin.<n>.0.s<seed>@seed.demo.clinic``), a receptionist (``reception.<n>.0...``, who sees
the whole appointment book), ``--doctors-per-clinic`` doctors with weekly
schedules, ``--patients`` patients, and appointments from ``--past-days`` ago to ``--days``
ahead taken from the doctors' free slots. The same ``--seed`` on the same day gives the same
data; loading a seed twice is refused. Progress goes to stderr, the summary to stdout.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from application.demo.seed_clinical_demo import Progress
from entrypoints.config import Settings

COMMAND = "seed-demo"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    seed = commands.add_parser(COMMAND, help="load invented demo clinics, patients and appointments")
    seed.add_argument("--clinics", type=_positive, default=1, help="new clinics (default 1)")
    seed.add_argument("--doctors-per-clinic", type=_positive, default=5, help="default 5")
    seed.add_argument("--patients", type=_positive, default=100, help="patients per clinic (default 100)")
    seed.add_argument(
        "--days", type=_not_negative, default=14, help="days of appointments ahead (default 14)"
    )
    seed.add_argument("--past-days", type=_not_negative, default=7, help="days of past visits (default 7)")
    seed.add_argument("--seed", type=_not_negative, default=1, help="the generator's seed (default 1)")
    seed.add_argument("--batch-size", type=_positive, default=1000, help="rows per transaction")
    seed.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("expected a whole number of at least 1")
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("expected a whole number of at least 0")
    return value


class ProgressBar:
    """A one-line text bar, redrawn in place. No progress library is a dependency (rich and
    tqdm are not), and one line of arithmetic does not justify adding one."""

    def __init__(self, clinics: int, stream: TextIO | None = None, width: int = 30) -> None:
        self._clinics, self._stream, self._width = clinics, stream or sys.stderr, width
        self._started = time.monotonic()

    def __call__(self, step: Progress) -> None:
        share = step.written / step.total if step.total else 1.0
        filled = int(share * self._width)
        elapsed = time.monotonic() - self._started
        self._stream.write(
            f"\rclinic {step.clinic}/{self._clinics} [{'#' * filled}{'.' * (self._width - filled)}] "
            f"{step.written}/{step.total} appointments, {elapsed:.0f}s "
        )
        if step.written == step.total:  # this clinic is done: keep its line
            self._stream.write("\n")
        self._stream.flush()


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from application.demo.demo_plan import DemoSize, Naming, plan_clinics
    from application.demo.seed_clinical_demo import SeedClinicalDemo
    from application.ports.clock import Clock
    from entrypoints.bootstrap import as_system, prepare_store
    from entrypoints.ioc.profiles import build_container

    size = DemoSize(
        clinics=args.clinics,
        doctors_per_clinic=args.doctors_per_clinic,
        patients=args.patients,
        days=args.days,
        past_days=args.past_days,
    )
    started = time.monotonic()
    container = build_container(settings)
    try:
        await prepare_store(container, settings)
        async with container() as request:
            await as_system(request)
            now = (await request.get(Clock)).now()
            plans = plan_clinics(size, seed=args.seed, now=now, naming=Naming(tag=f".s{args.seed}"))
            seed = await request.get(SeedClinicalDemo)
            bar = None if args.no_progress else ProgressBar(size.clinics)
            counts = await seed(plans, batch_rows=args.batch_size, progress=bar)
    finally:
        await container.close()
    print(
        f"Seeded {counts.clinics} clinic(s), {counts.doctors} doctors, {counts.patients} patients, "
        f"{counts.appointments} appointments, {counts.prescriptions} prescriptions "
        f"in {counts.batches} transactions, {time.monotonic() - started:.1f}s.\n"
        f"Sign in (n: clinic 1 to {size.clinics}) as admin.<n>.0.s{args.seed}@seed.demo.clinic (its "
        f"admin), reception.<n>.0.s{args.seed}@seed.demo.clinic (the appointment book), "
        f"doctor.<n>.<i>.s{args.seed}@seed.demo.clinic or patient.<n>.<i>.s{args.seed}@seed.demo.clinic."
    )
    return 0
