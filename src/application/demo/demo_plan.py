"""Generating a clinic group's demo data, as domain objects, with no I/O (the writing is elsewhere).

Rules:
- Deterministic: the same ``seed``, sizes and ``now`` give the same plan, ids included (UUIDv7
  built from the seeded generator, stamped with ``now``). Each clinic draws from a generator of
  its own, so clinics can be generated one at a time.
- Doctors work Monday to Friday (some Saturday mornings) in the clinic's time zone, with a lunch
  break, at the clinic's locations; appointments are taken from the doctors' free slots
  (domain.scheduling), so they fall inside working hours and never overlap for one doctor; a
  patient is only given a slot they are free for, so no patient is double-booked either.
- Past slots (``past_days`` before today) become COMPLETED, NO_SHOW or CANCELLED; a slot under
  way at ``now`` is CHECKED_IN; future slots are BOOKED, a few CANCELLED. Some completed visits
  have a prescription.
- Every patient has a sign-in user, the PATIENT membership, an encrypted-at-rest record and the
  ``treatment`` and ``whatsapp_notifications`` consents; every doctor a user, the DOCTOR
  membership and a profile with a weekly schedule. Every clinic gets a receptionist (who sees
  the whole appointment book); a new clinic also two locations and an admin.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from application.demo import demo_names as names
from domain.appointments import Appointment, AppointmentStatus, Cancellation
from domain.clinics import Clinic, ClinicLocation
from domain.consent import ConsentRecord, ConsentScope
from domain.contact import Email, PhoneNumber
from domain.doctors import Doctor
from domain.identity import Membership, Role, User
from domain.patients import Patient
from domain.prescriptions import MedicationLine, Prescription, PrescriptionContent
from domain.scheduling import MAX_RANGE, Interval, WeeklyWindow, free_slots

S = AppointmentStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSize:
    clinics: int = 1
    doctors_per_clinic: int = 5
    patients: int = 100  # per clinic
    days: int = 14  # ahead, from now
    past_days: int = 7  # before today
    fill: float = 0.7  # share of free slots that get an appointment
    prescribed: float = 0.4  # share of completed visits with a prescription


@dataclass(frozen=True, slots=True, kw_only=True)
class ClinicTarget:
    """An existing clinic to fill (the first start's demo clinic) instead of a new one."""

    id: UUID
    time_zone: str
    location_ids: tuple[UUID, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Naming:
    """How sign-in addresses are spelt: ``doctor.<clinic>.<n><tag>@<domain>``."""

    domain: str = "seed.demo.clinic"
    tag: str = ""

    def email(self, kind: str, clinic_no: int, n: int) -> Email:
        return Email(f"{kind}.{clinic_no}.{n}{self.tag}@{self.domain}")


@dataclass(slots=True, kw_only=True)
class PatientSeed:
    user: User
    membership: Membership
    record: Patient
    consents: tuple[ConsentRecord, ...]


@dataclass(slots=True, kw_only=True)
class ClinicPlan:
    clinic_id: UUID
    clinic: Clinic | None  # None: an existing clinic (ClinicTarget)
    locations: list[ClinicLocation] = field(default_factory=list)
    staff: list[tuple[User, Membership]] = field(default_factory=list)  # admin, receptionist
    doctors: list[tuple[User, Membership, Doctor]] = field(default_factory=list)
    patients: list[PatientSeed] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    prescriptions: list[Prescription] = field(default_factory=list)


class SeededIds:
    """UUIDv7 ids from a seeded generator: the ``now`` millisecond, then a counter (creation
    order), then random bits."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self._rng = rng
        self._ms = int(now.timestamp() * 1000) & ((1 << 48) - 1)
        self._count = 0

    def new_id(self) -> UUID:
        self._count += 1
        tail = (self._count << 34) | self._rng.getrandbits(34)  # 74 bits: 12 + 62
        value = (
            (self._ms << 80) | (0x7 << 76) | ((tail >> 62) << 64) | (0b10 << 62) | (tail & ((1 << 62) - 1))
        )
        return UUID(int=value)


def plan_clinics(
    size: DemoSize,
    *,
    seed: int,
    now: datetime,
    naming: Naming | None = None,
    targets: Sequence[ClinicTarget] = (),
) -> Iterator[ClinicPlan]:
    """One plan per clinic: ``targets`` when given (filled in place), else ``size.clinics`` new ones."""
    naming = naming or Naming()
    count = len(targets) if targets else size.clinics
    for index in range(count):
        rng = random.Random(f"demo:{seed}:{index}")  # noqa: S311 - reproducible invented data, no secret
        target = targets[index] if targets else None
        yield _ClinicPlanner(size, rng, now.astimezone(UTC), naming, index + 1).plan(target)


class _ClinicPlanner:
    def __init__(self, size: DemoSize, rng: random.Random, now: datetime, naming: Naming, no: int) -> None:
        self.size, self.rng, self.now, self.naming, self.no = size, rng, now, naming, no
        self.ids = SeededIds(rng, now)

    def plan(self, target: ClinicTarget | None) -> ClinicPlan:
        if target is None:
            plan, zone_name = self._new_clinic()
        else:
            plan, zone_name = ClinicPlan(clinic_id=target.id, clinic=None), target.time_zone
        location_ids = [loc.id for loc in plan.locations] if target is None else list(target.location_ids)
        desk = self._user("reception", 0, f"Clinic {self.no} Reception")
        plan.staff.append((desk, self._member(plan.clinic_id, desk, Role.RECEPTIONIST)))
        for n in range(1, self.size.doctors_per_clinic + 1):
            plan.doctors.append(self._doctor(plan.clinic_id, n, location_ids))
        for n in range(1, self.size.patients + 1):
            plan.patients.append(self._patient(plan.clinic_id, n))
        if plan.patients:
            self._appointments(plan, ZoneInfo(zone_name))
        return plan

    def _user(self, kind: str, n: int, name: str) -> User:
        email = self.naming.email(kind, self.no, n)
        return User(id=self.ids.new_id(), email=email, phone=None, name=name, created_at=self.now)

    def _member(self, clinic_id: UUID, user: User, role: Role) -> Membership:
        return Membership(clinic_id=clinic_id, user_id=user.id, role=role, created_at=self.now)

    def _new_clinic(self) -> tuple[ClinicPlan, str]:
        zone = names.TIME_ZONES[(self.no - 1) % len(names.TIME_ZONES)]
        clinic = Clinic(
            id=self.ids.new_id(),
            name=f"Demo Group Clinic {self.no}",
            time_zone=zone,
            contact_email=self.naming.email("front-desk", self.no, 0),
            created_at=self.now,
            updated_at=self.now,
        )
        plan = ClinicPlan(clinic_id=clinic.id, clinic=clinic)
        for n, street in enumerate(self.rng.sample(names.STREETS, 2), start=1):
            plan.locations.append(
                ClinicLocation(
                    id=self.ids.new_id(),
                    clinic_id=clinic.id,
                    name=f"{street} practice",
                    address=f"{street} {self.rng.randint(1, 120)}, demo town {n}",
                    created_at=self.now,
                )
            )
        admin = self._user("admin", 0, f"Clinic {self.no} Admin")
        plan.staff.append((admin, self._member(clinic.id, admin, Role.CLINIC_ADMIN)))
        return plan, zone

    def _doctor(self, clinic_id: UUID, n: int, location_ids: list[UUID]) -> tuple[User, Membership, Doctor]:
        first, last = names.person(self.rng)
        user = self._user("doctor", n, f"Dr. {first} {last}")
        start = time(self.rng.choice((8, 9)), 0)
        end = time(start.hour + 8, 0)
        hours = [
            WeeklyWindow(day, start, end, location_ids[(day + n) % len(location_ids)]) for day in range(5)
        ]
        if self.rng.random() < 0.3:
            hours.append(WeeklyWindow(5, time(9, 0), time(12, 0), location_ids[n % len(location_ids)]))
        doctor = Doctor(
            id=user.id,
            clinic_id=clinic_id,
            specialty=self.rng.choice(names.SPECIALTIES),
            licence_number=f"DEMO-{self.no:03d}-{n:05d}",
            display_name=f"Dr. {user.name}",
            slot_minutes=self.rng.choice((20, 30, 30, 40)),
            hours=tuple(hours),
            breaks=tuple(WeeklyWindow(day, time(12, 30), time(13, 30)) for day in range(5)),
            created_at=self.now,
            updated_at=self.now,
        )
        return user, self._member(clinic_id, user, Role.DOCTOR), doctor

    def _patient(self, clinic_id: UUID, n: int) -> PatientSeed:
        first, last = names.person(self.rng)
        user = self._user("patient", n, f"{first} {last}")
        born = date(1940, 1, 1) + timedelta(days=self.rng.randrange(365 * 75))
        allergies = tuple(self.rng.sample(names.ALLERGIES, self.rng.choice((0, 0, 0, 1, 2))))
        record = Patient(
            id=user.id,
            clinic_id=clinic_id,
            name=user.name,
            date_of_birth=born,
            phone=PhoneNumber(f"+4915{self.no % 100:02d}{n:07d}"),
            email=user.email,
            allergies=allergies,
            created_at=self.now,
            updated_at=self.now,
        )
        consents = tuple(
            ConsentRecord(
                id=self.ids.new_id(),
                clinic_id=clinic_id,
                patient_id=user.id,
                scope=scope,
                recorded_at=self.now,
                recorded_by=user.id,
            )
            for scope in (ConsentScope.TREATMENT, ConsentScope.WHATSAPP_NOTIFICATIONS)
        )
        return PatientSeed(
            user=user,
            membership=self._member(clinic_id, user, Role.PATIENT),
            record=record,
            consents=consents,
        )

    def _appointments(self, plan: ClinicPlan, zone: ZoneInfo) -> None:
        today = self.now.astimezone(zone).date()
        first = datetime.combine(today - timedelta(days=self.size.past_days), time(), tzinfo=zone)
        end = self.now + timedelta(days=self.size.days)
        busy: dict[UUID, list[Interval]] = {}  # patient -> intervals (all, any status)
        for _user, _membership, doctor in plan.doctors:
            schedule = doctor.schedule()
            for span, now in _chunks(first.astimezone(UTC), self.now, end):
                for slot in free_slots(schedule, zone, span, (), now=now):
                    if self.rng.random() >= self.size.fill:
                        continue
                    interval = Interval(slot.start, slot.end)
                    patient = self._free_patient(plan.patients, busy, interval)
                    if patient is None or slot.location_id is None:
                        continue
                    busy.setdefault(patient, []).append(interval)
                    self._appointment(plan, doctor.id, patient, slot.location_id, interval)

    def _free_patient(
        self, patients: list[PatientSeed], busy: dict[UUID, list[Interval]], wanted: Interval
    ) -> UUID | None:
        for _ in range(6):
            candidate = self.rng.choice(patients).record.id
            if not any(taken.overlaps(wanted) for taken in busy.get(candidate, ())):
                return candidate
        return None

    def _appointment(
        self, plan: ClinicPlan, doctor_id: UUID, patient_id: UUID, location_id: UUID, at: Interval
    ) -> None:
        rng, now = self.rng, self.now
        created = min(now, at.start - timedelta(days=rng.randint(1, 21)))
        roll = rng.random()
        if at.end <= now:
            status = S.COMPLETED if roll < 0.8 else S.NO_SHOW if roll < 0.9 else S.CANCELLED
        elif at.start < now:
            status = S.CHECKED_IN
        else:
            status = S.CANCELLED if roll < 0.05 else S.BOOKED
        done_at = {S.COMPLETED: at.end, S.NO_SHOW: at.end, S.CHECKED_IN: at.start}.get(status, created)
        cancellation = None
        if status is S.CANCELLED:
            done_at = max(created, min(now, at.start - timedelta(hours=rng.randint(2, 48))))
            cancellation = Cancellation(reason=None, by=patient_id, at=done_at)
        appointment = Appointment(
            id=self.ids.new_id(),
            clinic_id=plan.clinic_id,
            location_id=location_id,
            doctor_id=doctor_id,
            patient_id=patient_id,
            starts_at=at.start,
            ends_at=at.end,
            status=status,
            reason=rng.choice(names.REASONS) if rng.random() < 0.5 else None,
            cancellation=cancellation,
            version={S.BOOKED: 1, S.CHECKED_IN: 2, S.COMPLETED: 3}.get(status, 2),
            created_at=created,
            created_by=patient_id,
            updated_at=done_at,
            updated_by=patient_id if status in (S.BOOKED, S.CANCELLED) else doctor_id,
        )
        plan.appointments.append(appointment)
        if status is S.COMPLETED and rng.random() < self.size.prescribed:
            plan.prescriptions.append(self._prescription(appointment))

    def _prescription(self, visit: Appointment) -> Prescription:
        lines = [
            MedicationLine(name=n, dosage=d, frequency=f, duration_days=days)
            for n, d, f, days in self.rng.sample(names.MEDICATIONS, self.rng.choice((1, 1, 2, 3)))
        ]
        salt = f"{self.rng.getrandbits(128):032x}"
        return Prescription.issue(
            id=self.ids.new_id(),
            clinic_id=visit.clinic_id,
            patient_id=visit.patient_id,
            prescriber_id=visit.doctor_id,
            appointment_id=visit.id,
            content=PrescriptionContent.of(lines, None, salt=salt),
            issued_at=visit.ends_at,
        )


def _chunks(first: datetime, now: datetime, end: datetime) -> Iterator[tuple[Interval, datetime]]:
    """Spans of at most 31 days covering [first, end), each with the ``now`` free_slots should
    use: its own start in the past (past slots are wanted too), the real now after that."""
    start = first
    while start < end:
        stop = min(start + MAX_RANGE, end)
        yield Interval(start, stop), min(start, now)
        start = stop
