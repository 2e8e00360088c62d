"""Wiring of the patients capability: its use cases, and its repositories per persistence kind."""

from __future__ import annotations

from dishka import Provider, Scope, provide, provide_all
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.memory.patients import InMemoryPatientRepository
from adapters.sql.patients import PatientCodec, SqlPatientRepository
from application.patients.create_patient import CreatePatient
from application.patients.delete_patient import DeletePatient
from application.patients.export_patient_data import ExportPatientData
from application.patients.get_patient import GetPatient
from application.patients.purge_patient_records import PurgePatientRecords, RecordsRetention
from application.patients.search_patients import SearchPatients
from application.patients.update_patient import UpdatePatient
from application.ports.crypto import BlindIndexer, FieldCipher
from application.ports.patients import PatientRepository
from entrypoints.config import Settings


class PatientsUseCases(Provider):
    scope = Scope.REQUEST

    use_cases = provide_all(
        CreatePatient, GetPatient, UpdatePatient, SearchPatients, DeletePatient, PurgePatientRecords
    )
    export_patient_data = provide(ExportPatientData)

    @provide(scope=Scope.APP)
    def retention(self, settings: Settings) -> RecordsRetention:
        return RecordsRetention(settings.security.records_retention_days)


class MemoryPatientsProvider(Provider):
    scope = Scope.REQUEST

    patients = provide(InMemoryPatientRepository, provides=PatientRepository)


class SqlPatientsProvider(Provider):
    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def codec(self, cipher: FieldCipher, indexer: BlindIndexer) -> PatientCodec:
        return PatientCodec(cipher, indexer)

    @provide
    def patients(self, session: AsyncSession, codec: PatientCodec) -> PatientRepository:
        return SqlPatientRepository(session, codec)
