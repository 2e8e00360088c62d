"""Wiring of the doctors capability: its use cases, and its repositories per persistence kind."""

from __future__ import annotations

from dishka import Provider, Scope, provide, provide_all

from adapters.memory.doctors import InMemoryDoctorRepository, InMemoryTimeOffRepository
from adapters.sql.doctors import SqlDoctorRepository, SqlTimeOffRepository
from application.doctors.add_time_off import AddTimeOff
from application.doctors.create_doctor import CreateDoctor
from application.doctors.get_doctor import GetDoctor
from application.doctors.list_doctors import ListDoctors
from application.doctors.list_time_off import ListTimeOff
from application.doctors.remove_time_off import RemoveTimeOff
from application.doctors.set_doctor_schedule import SetDoctorSchedule
from application.doctors.update_doctor import UpdateDoctor
from application.ports.doctors import DoctorRepository, TimeOffRepository


class DoctorsUseCases(Provider):
    scope = Scope.REQUEST

    use_cases = provide_all(
        CreateDoctor,
        GetDoctor,
        ListDoctors,
        UpdateDoctor,
        SetDoctorSchedule,
        AddTimeOff,
        RemoveTimeOff,
        ListTimeOff,
    )


class MemoryDoctorsProvider(Provider):
    scope = Scope.REQUEST

    doctors = provide(InMemoryDoctorRepository, provides=DoctorRepository)
    time_off = provide(InMemoryTimeOffRepository, provides=TimeOffRepository)


class SqlDoctorsProvider(Provider):
    scope = Scope.REQUEST

    doctors = provide(SqlDoctorRepository, provides=DoctorRepository)
    time_off = provide(SqlTimeOffRepository, provides=TimeOffRepository)
