"""Write generated demo plans (application.demo.demo_plan) through the repositories, in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from application.auditing import AuditEntries
from application.demo.demo_plan import ClinicPlan
from application.ports.appointments import AppointmentRepository
from application.ports.clock import Clock
from application.ports.consent import ConsentRepository
from application.ports.doctors import DoctorRepository
from application.ports.patients import PatientRepository
from application.ports.prescriptions import PrescriptionRepository
from application.ports.repositories import (
    ClinicRepository,
    LocationRepository,
    MembershipRepository,
    UserRepository,
)
from application.ports.uow import UnitOfWork
from domain.errors import ValidationFailed

# Rows per transaction: large enough that a commit (and its audit entry) is rare, small enough
# that SQLite's single writer is never held for long and a failure loses little.
BATCH_ROWS = 1000
PATIENT_ROWS = 5  # user, membership, record, two consents


@dataclass(slots=True)
class SeededCounts:
    clinics: int = 0
    doctors: int = 0
    patients: int = 0
    appointments: int = 0
    prescriptions: int = 0
    batches: int = 0


@dataclass(frozen=True, slots=True)
class Progress:
    """Told after each committed batch: which clinic (1-based, of ``clinics`` when known) and
    how many of its appointments are written."""

    clinic: int
    written: int
    total: int


class SeedClinicalDemo:
    """Write demo clinics, doctors, patients, appointments and prescriptions.

    - Everything goes through the repositories, so sealing, blind indexes, mappers and the
      no-overlap guarantee are exactly those of real writes (the booking exclusion constraints
      check every active appointment on PostgreSQL; on SQLite the repository's own check).
    - A bulk load is not one user intent per row: rows are committed in batches of about
      ``batch_rows`` per unit of work, each batch audited by ONE entry (action SEED_DEMO_DATA,
      resource the clinic, ``changed_fields`` naming what kinds were written), not one per row.
      A per-row entry would double the rows written and serialize every insert on the clinic's
      audit chain for no reader's benefit: the data is invented, and the entry still proves
      who loaded what into which clinic and when. A failed batch rolls back with its entry.
    - A plan whose first staff address is taken refuses the load (that seed was loaded
      already): VALIDATION_ERROR on ``seed``, before anything of that clinic is written.
    - Runs as the system (no actor): the operator CLI and the first start call it.
    """

    def __init__(
        self,
        users: UserRepository,
        clinics: ClinicRepository,
        locations: LocationRepository,
        memberships: MembershipRepository,
        doctors: DoctorRepository,
        patients: PatientRepository,
        consents: ConsentRepository,
        appointments: AppointmentRepository,
        prescriptions: PrescriptionRepository,
        uow: UnitOfWork,
        clock: Clock,
        audit: AuditEntries,
    ) -> None:
        self._users = users
        self._clinics = clinics
        self._locations = locations
        self._memberships = memberships
        self._doctors = doctors
        self._patients = patients
        self._consents = consents
        self._appointments = appointments
        self._prescriptions = prescriptions
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(
        self,
        plans: Iterable[ClinicPlan],
        *,
        batch_rows: int = BATCH_ROWS,
        progress: Callable[[Progress], None] | None = None,
    ) -> SeededCounts:
        counts = SeededCounts()
        for number, plan in enumerate(plans, start=1):
            await self._write_clinic(plan, counts, max(batch_rows, PATIENT_ROWS))
            # Latest first: a store that checks overlaps by scanning the clinic's appointments
            # that start before the new one ends (SQLite, by its (clinic_id, starts_at) index)
            # then finds almost nothing to scan, instead of everything written so far.
            visits = sorted(plan.appointments, key=lambda a: (a.starts_at, a.id), reverse=True)
            total = len(visits)
            for start in range(0, total, batch_rows):
                chunk = visits[start : start + batch_rows]
                ids = {a.id for a in chunk}
                issued = [p for p in plan.prescriptions if p.appointment_id in ids]
                await self._batch(plan, ("appointments", "prescriptions"), self._visits(chunk, issued))
                counts.appointments += len(chunk)
                counts.prescriptions += len(issued)
                counts.batches += 1
                if progress is not None:
                    progress(Progress(number, start + len(chunk), total))
            if progress is not None and not total:
                progress(Progress(number, 0, 0))
        return counts

    async def _write_clinic(self, plan: ClinicPlan, counts: SeededCounts, batch_rows: int) -> None:
        async def setup() -> None:
            staff = list(plan.staff)
            staff += [(user, membership) for user, membership, _ in plan.doctors]
            first = staff[0][0].email if staff else None
            if first is not None and await self._users.get_by_email(first) is not None:
                raise ValidationFailed(
                    "This seed was loaded already.", details={"seed": "already loaded: choose another"}
                )
            if plan.clinic is not None:
                await self._clinics.add(plan.clinic)
                for location in plan.locations:
                    await self._locations.add(location)
            for user, membership in staff:
                await self._users.add(user)
                await self._memberships.add(membership)
            for _, _, doctor in plan.doctors:
                await self._doctors.add(doctor)
            self._uow.touch(f"doctors:{plan.clinic_id}", f"members:{plan.clinic_id}")

        await self._batch(plan, ("clinic", "locations", "members", "doctors"), setup)
        counts.clinics += plan.clinic is not None
        counts.doctors += len(plan.doctors)
        per_batch = max(1, batch_rows // PATIENT_ROWS)
        for start in range(0, len(plan.patients), per_batch):
            chunk = plan.patients[start : start + per_batch]

            async def patients(chunk: Sequence[Any] = chunk) -> None:
                for seed in chunk:
                    await self._users.add(seed.user)
                    await self._memberships.add(seed.membership)
                    await self._patients.add(seed.record)
                    for consent in seed.consents:
                        await self._consents.add(consent)
                self._uow.touch(f"members:{plan.clinic_id}")

            await self._batch(plan, ("members", "patients", "consents"), patients)
            counts.patients += len(chunk)
        counts.batches += 1 + -(-len(plan.patients) // per_batch)

    def _visits(self, chunk: Sequence[Any], issued: Sequence[Any]) -> Callable[[], Any]:
        async def write() -> None:
            now = self._clock.now()
            for appointment in chunk:
                await self._appointments.add(appointment, now=now)
            for prescription in issued:
                await self._prescriptions.add(prescription)
            self._uow.touch(*sorted({f"doctor:{a.doctor_id}" for a in chunk}))

        return write

    async def _batch(self, plan: ClinicPlan, kinds: tuple[str, ...], stage: Callable[[], Any]) -> None:
        async def work() -> None:
            await stage()
            self._uow.record(
                self._audit.entry(
                    None,
                    "SEED_DEMO_DATA",
                    "clinic",
                    plan.clinic_id,
                    clinic_id=plan.clinic_id,
                    changed_fields=kinds,
                )
            )
            await self._uow.commit()

        await self._uow.run(work)
