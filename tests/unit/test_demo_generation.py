"""Demo data generation: deterministic, sized as asked, inside working hours, never overlapping."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from application.demo.demo_plan import ClinicPlan, ClinicTarget, DemoSize, plan_clinics
from domain.appointments import ALWAYS_ACTIVE, AppointmentStatus
from domain.consent import ConsentScope
from domain.identity import Role
from domain.scheduling import Interval, working_intervals

NOW = datetime(2026, 3, 27, 9, 17, tzinfo=UTC)  # a Friday before Europe's spring-forward night
SIZE = DemoSize(clinics=3, doctors_per_clinic=4, patients=30, days=10, past_days=5)


def plans(seed: int = 7, size: DemoSize = SIZE) -> list[ClinicPlan]:
    return list(plan_clinics(size, seed=seed, now=NOW))


def fingerprint(plan: ClinicPlan) -> list[object]:
    return [
        plan.clinic,
        plan.locations,
        plan.doctors,
        [(p.user, p.record, p.consents) for p in plan.patients],
        plan.appointments,
        plan.prescriptions,
    ]


def test_the_same_seed_gives_the_same_data_ids_included() -> None:
    assert [fingerprint(p) for p in plans(7)] == [fingerprint(p) for p in plans(7)]
    assert plans(7)[0].clinic != plans(8)[0].clinic


def test_sizes_are_those_asked() -> None:
    made = plans()
    assert len(made) == SIZE.clinics
    for plan in made:
        assert plan.clinic is not None and len(plan.locations) == 2
        assert [m.role for _, m in plan.staff] == [Role.CLINIC_ADMIN, Role.RECEPTIONIST]
        assert len(plan.doctors) == SIZE.doctors_per_clinic
        assert {m.role for _, m, _ in plan.doctors} == {Role.DOCTOR}
        assert all(u.id == d.id == m.user_id for u, m, d in plan.doctors)
        assert len(plan.patients) == SIZE.patients
        for seed in plan.patients:
            assert seed.membership.role is Role.PATIENT and seed.record.id == seed.user.id
            assert {c.scope for c in seed.consents} == {
                ConsentScope.TREATMENT,
                ConsentScope.WHATSAPP_NOTIFICATIONS,
            }
        assert plan.appointments and plan.prescriptions
    ids = [a.id for plan in made for a in plan.appointments]
    assert len(ids) == len(set(ids))
    emails = [u.email for plan in made for u, _, _ in plan.doctors] + [
        s.user.email for plan in made for s in plan.patients
    ]
    assert len(emails) == len(set(emails))


def test_appointments_lie_in_the_asked_days_and_have_fitting_statuses() -> None:
    for plan in plans():
        zone = ZoneInfo(plan.clinic.time_zone if plan.clinic else "UTC")
        first_day = NOW.astimezone(zone).date() - timedelta(days=SIZE.past_days)
        for a in plan.appointments:
            assert a.starts_at.astimezone(zone).date() >= first_day
            assert a.starts_at < NOW + timedelta(days=SIZE.days)
            if a.ends_at <= NOW:
                assert a.status in {
                    AppointmentStatus.COMPLETED,
                    AppointmentStatus.NO_SHOW,
                    AppointmentStatus.CANCELLED,
                }
            elif a.starts_at >= NOW:
                assert a.status in {AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED}
            assert (a.cancellation is not None) == (a.status is AppointmentStatus.CANCELLED)
        statuses = {a.status for a in plan.appointments}
        assert {AppointmentStatus.COMPLETED, AppointmentStatus.BOOKED} <= statuses
        completed = {a.id for a in plan.appointments if a.status is AppointmentStatus.COMPLETED}
        assert all(p.appointment_id in completed and p.is_intact() for p in plan.prescriptions)


def test_appointments_are_inside_their_doctors_working_hours_at_that_location() -> None:
    for plan in plans():
        zone = ZoneInfo(plan.clinic.time_zone if plan.clinic else "UTC")
        doctors = {d.id: d for _, _, d in plan.doctors}
        for a in plan.appointments:
            schedule = doctors[a.doctor_id].schedule()
            windows = working_intervals(schedule, zone, a.interval, a.location_id)
            assert any(w.start <= a.starts_at and a.ends_at <= w.end for w, _ in windows)
            assert a.ends_at - a.starts_at == timedelta(minutes=schedule.slot_minutes)
            local = a.starts_at.astimezone(zone)
            assert local.weekday() <= 5
            lunch = Interval(local.replace(hour=12, minute=30), local.replace(hour=13, minute=30))
            assert local.weekday() == 5 or not lunch.overlaps(a.interval)


def test_no_doctor_and_no_patient_has_two_overlapping_appointments() -> None:
    for plan in plans(seed=11, size=DemoSize(clinics=1, doctors_per_clinic=6, patients=8, days=6)):
        for key in ("doctor_id", "patient_id"):
            by_person: dict[object, list[Interval]] = defaultdict(list)
            for a in plan.appointments:
                by_person[getattr(a, key)].append(a.interval)
            for intervals in by_person.values():
                ordered = sorted(intervals, key=lambda i: i.start)
                assert all(x.end <= y.start for x, y in itertools.pairwise(ordered))
        active = [a for a in plan.appointments if a.status in ALWAYS_ACTIVE]
        assert active


def test_an_existing_clinic_is_filled_in_place() -> None:
    target = ClinicTarget(id=uuid4(), time_zone="Europe/Berlin", location_ids=(uuid4(),))
    size = DemoSize(doctors_per_clinic=3, patients=20, days=7, past_days=3)
    (plan,) = plan_clinics(size, seed=1, now=NOW, targets=[target])
    assert plan.clinic is None and not plan.locations
    assert [m.role for _, m in plan.staff] == [Role.RECEPTIONIST]
    assert plan.clinic_id == target.id
    assert {a.location_id for a in plan.appointments} == set(target.location_ids)
    assert {a.clinic_id for a in plan.appointments} == {target.id}
    assert len(plan.doctors) == 3 and len(plan.patients) == 20
