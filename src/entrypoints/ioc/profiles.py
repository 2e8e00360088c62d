"""Profiles: which adapters a deployment runs, as one table. ``APP_PROFILE`` picks a row.

| profile    | persistence             | cache server | on start                                  |
|------------|-------------------------|--------------|-------------------------------------------|
| memory     | in-memory               | none         | seed demo data                            |
| embedded   | SQLite file (aiosqlite) | none         | migrate, seed demo data                   |
| production | PostgreSQL (asyncpg)    | Redis        | nothing: `healthcare migrate` runs apart  |
"""

from __future__ import annotations

from dataclasses import dataclass

from dishka import AsyncContainer, Provider, Scope, make_async_container, provide
from dishka.integrations.litestar import LitestarProvider

from adapters.redis.health import RedisProbe
from adapters.sql.health import DatabaseProbe
from entrypoints.config import Settings
from entrypoints.config.sections import Profile
from entrypoints.http.auth import ActorProvider
from entrypoints.ioc.appointment_lifecycle import AppointmentLifecycleUseCases
from entrypoints.ioc.appointments import (
    AppointmentsUseCases,
    MemoryAppointmentsProvider,
    SqlAppointmentsProvider,
)
from entrypoints.ioc.audit import AuditProvider, MemoryAuditProvider, SqlAuditProvider
from entrypoints.ioc.cache import RedisProvider
from entrypoints.ioc.caching import CachingProvider, LocalCacheProvider, SharedCacheProvider
from entrypoints.ioc.core import SecurityProvider, SettingsProvider, SystemProvider, UseCaseProvider
from entrypoints.ioc.doctors import DoctorsUseCases, MemoryDoctorsProvider, SqlDoctorsProvider
from entrypoints.ioc.identity import (
    IdentityPolicyProvider,
    InProcessIdentityProvider,
    RedisIdentityProvider,
    SqlIdentityProvider,
)
from entrypoints.ioc.messaging import (
    ChannelsProvider,
    InProcessRelayProvider,
    MemoryMessagingProvider,
    MessagingProvider,
    SqlMessagingProvider,
    WorkerRelayProvider,
)
from entrypoints.ioc.patients import MemoryPatientsProvider, PatientsUseCases, SqlPatientsProvider
from entrypoints.ioc.persistence import MemoryPersistenceProvider, SqlPersistenceProvider
from entrypoints.ioc.prescriptions import (
    MemoryPrescriptionsProvider,
    PrescriptionsUseCases,
    SqlPrescriptionsProvider,
)
from entrypoints.ioc.readiness import ReadinessProbes
from entrypoints.ioc.whatsapp import WhatsAppProvider


class NoProbes(Provider):
    @provide(scope=Scope.APP)
    def probes(self) -> ReadinessProbes:
        return ReadinessProbes(())


class DatabaseProbes(Provider):
    @provide(scope=Scope.APP)
    def probes(self, database: DatabaseProbe) -> ReadinessProbes:
        return ReadinessProbes((database,))


class DatabaseAndCacheProbes(Provider):
    @provide(scope=Scope.APP)
    def probes(self, database: DatabaseProbe, cache: RedisProbe) -> ReadinessProbes:
        return ReadinessProbes((database, cache))


# The clinical core's repositories, per persistence kind.
MEMORY_CLINICAL = (
    MemoryDoctorsProvider,
    MemoryPatientsProvider,
    MemoryAppointmentsProvider,
    MemoryPrescriptionsProvider,
)
SQL_CLINICAL = (SqlDoctorsProvider, SqlPatientsProvider, SqlAppointmentsProvider, SqlPrescriptionsProvider)


@dataclass(frozen=True, slots=True)
class ProfileSpec:
    providers: tuple[type[Provider], ...]
    migrate_on_start: bool
    seed_on_start: bool


PROFILES: dict[Profile, ProfileSpec] = {
    Profile.MEMORY: ProfileSpec(
        (
            MemoryPersistenceProvider,
            *MEMORY_CLINICAL,
            MemoryAuditProvider,
            InProcessIdentityProvider,
            LocalCacheProvider,
            CachingProvider,
            MemoryMessagingProvider,
            NoProbes,
        ),
        migrate_on_start=False,
        seed_on_start=True,
    ),
    Profile.EMBEDDED: ProfileSpec(
        (
            SqlPersistenceProvider,
            *SQL_CLINICAL,
            SqlAuditProvider,
            SqlIdentityProvider,
            LocalCacheProvider,
            CachingProvider,
            SqlMessagingProvider,
            ChannelsProvider,
            WhatsAppProvider,  # the Cloud API in the WhatsApp slot when WHATSAPP_ENABLED
            InProcessRelayProvider,
            DatabaseProbes,
        ),
        migrate_on_start=True,
        seed_on_start=True,
    ),
    Profile.PRODUCTION: ProfileSpec(
        (
            SqlPersistenceProvider,
            *SQL_CLINICAL,
            SqlAuditProvider,
            RedisProvider,
            RedisIdentityProvider,
            SharedCacheProvider,
            CachingProvider,
            SqlMessagingProvider,
            ChannelsProvider,
            WhatsAppProvider,  # the Cloud API in the WhatsApp slot when WHATSAPP_ENABLED
            WorkerRelayProvider,
            DatabaseAndCacheProbes,
        ),
        migrate_on_start=False,
        seed_on_start=False,
    ),
}

SHARED: tuple[type[Provider], ...] = (
    SettingsProvider,
    SystemProvider,
    SecurityProvider,
    UseCaseProvider,
    DoctorsUseCases,
    PatientsUseCases,
    AppointmentsUseCases,
    AppointmentLifecycleUseCases,
    PrescriptionsUseCases,
    AuditProvider,
    IdentityPolicyProvider,
    MessagingProvider,
    ActorProvider,
    LitestarProvider,
)


def build_container(settings: Settings, *overrides: Provider) -> AsyncContainer:
    """The container of ``settings.app.profile``; ``overrides`` come last and win (tests)."""
    spec = PROFILES[settings.app.profile]
    providers = [cls() for cls in (*SHARED, *spec.providers)]
    return make_async_container(*providers, *overrides, context={Settings: settings})
