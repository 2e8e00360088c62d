"""Persistence providers: in-memory, or SQL (SQLite or PostgreSQL, by the database URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import AnyOf, Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.memory.audit import InMemoryAuditReader
from adapters.memory.consent import InMemoryConsentRepository, InMemoryEmergencyGrantRepository
from adapters.memory.events import InMemoryEventOutbox
from adapters.memory.repositories import (
    InMemoryClinicRepository,
    InMemoryLocationRepository,
    InMemoryMembershipRepository,
    InMemoryUserRepository,
)
from adapters.memory.sessions import InMemoryRefreshTokenRepository, InMemorySessionRepository
from adapters.memory.store import InMemoryStore
from adapters.memory.tenancy import InMemoryTenantScope
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.audit import SqlAuditReader
from adapters.sql.consent import SqlConsentRepository, SqlEmergencyGrantRepository
from adapters.sql.engine import EngineOptions, create_engine, session_factory
from adapters.sql.events import SqlEventOutbox
from adapters.sql.health import DatabaseProbe
from adapters.sql.replicas import ReplicaSet
from adapters.sql.repositories import (
    SqlClinicRepository,
    SqlLocationRepository,
    SqlMembershipRepository,
    SqlUserRepository,
)
from adapters.sql.sessions import SqlRefreshTokenRepository, SqlSessionRepository
from adapters.sql.tenancy import SqlTenantScope
from adapters.sql.uow import RetryPolicy, SqlUnitOfWork
from adapters.sql.user_codec import UserCodec
from application.auditing import AuditEntries
from application.ports.audit import AuditReader
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from application.ports.crypto import BlindIndexer, FieldCipher
from application.ports.events import EventFeed, EventOutbox
from application.ports.repositories import (
    ClinicRepository,
    LocationRepository,
    MembershipRepository,
    UserRepository,
)
from application.ports.sessions import RefreshTokenRepository, SessionRepository
from application.ports.tenancy import TenantScope
from application.ports.uow import CommitListeners, UnitOfWork
from domain.audit_chain import ChainSealer
from entrypoints.config import Settings


class MemoryPersistenceProvider(Provider):
    @provide(scope=Scope.APP)
    def store(self) -> InMemoryStore:
        return InMemoryStore()

    @provide(scope=Scope.REQUEST)
    async def uow(
        self, store: InMemoryStore, listeners: CommitListeners, sealer: ChainSealer, audit: AuditEntries
    ) -> AsyncIterator[AnyOf[InMemoryUnitOfWork, UnitOfWork]]:
        unit = InMemoryUnitOfWork(store, listeners, sealer=sealer, audit=audit)
        yield unit
        await unit.rollback()  # whatever was not committed is dropped with the request

    clinics = provide(InMemoryClinicRepository, provides=ClinicRepository, scope=Scope.REQUEST)
    locations = provide(InMemoryLocationRepository, provides=LocationRepository, scope=Scope.REQUEST)
    users = provide(InMemoryUserRepository, provides=UserRepository, scope=Scope.REQUEST)
    memberships = provide(InMemoryMembershipRepository, provides=MembershipRepository, scope=Scope.REQUEST)
    audit_reader = provide(InMemoryAuditReader, provides=AuditReader, scope=Scope.APP)
    tenant_scope = provide(InMemoryTenantScope, provides=TenantScope, scope=Scope.REQUEST)
    sessions = provide(InMemorySessionRepository, provides=SessionRepository, scope=Scope.REQUEST)
    refresh_tokens = provide(
        InMemoryRefreshTokenRepository, provides=RefreshTokenRepository, scope=Scope.REQUEST
    )
    consents = provide(InMemoryConsentRepository, provides=ConsentRepository, scope=Scope.REQUEST)
    events = provide(InMemoryEventOutbox, provides=AnyOf[EventOutbox, EventFeed], scope=Scope.REQUEST)
    emergency_grants = provide(
        InMemoryEmergencyGrantRepository, provides=EmergencyGrantRepository, scope=Scope.REQUEST
    )


def engine_options(settings: Settings, *, url: str | None = None) -> EngineOptions:
    db = settings.database
    return EngineOptions(
        url=url or db.url,
        pool_size=db.pool_size,
        max_overflow=db.max_overflow,
        pool_timeout_seconds=db.pool_timeout_seconds,
        pool_recycle_seconds=db.pool_recycle_seconds,
        pool_pre_ping=db.pool_pre_ping,
        statement_timeout_ms=db.statement_timeout_ms,
        connect_timeout_seconds=db.connect_timeout_seconds,
        echo=db.echo,
        slow_query_ms=db.slow_query_ms,
        pgbouncer=db.pgbouncer,
    )


class SqlPersistenceProvider(Provider):
    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(engine_options(settings))
        yield engine
        await engine.dispose()

    @provide(scope=Scope.APP)
    async def replicas(self, settings: Settings) -> AsyncIterator[ReplicaSet]:
        engines = [create_engine(engine_options(settings, url=url)) for url in settings.database.replica_urls]
        replicas = ReplicaSet(engines, interval_seconds=settings.database.replica_check_seconds)
        replicas.start()
        yield replicas
        await replicas.close()

    @provide(scope=Scope.APP)
    def sessions(
        self, engine: AsyncEngine, replicas: ReplicaSet, settings: Settings
    ) -> async_sessionmaker[AsyncSession]:
        return session_factory(
            engine, app_role=settings.database.app_role or None, replicas=replicas if replicas.size else None
        )

    @provide(scope=Scope.APP)
    def user_codec(self, cipher: FieldCipher, indexer: BlindIndexer) -> UserCodec:
        return UserCodec(cipher, indexer)

    @provide(scope=Scope.APP)
    def probe(self, engine: AsyncEngine) -> DatabaseProbe:
        return DatabaseProbe(engine)

    @provide(scope=Scope.REQUEST)
    async def session(self, sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
        async with sessions() as session:  # closing rolls back whatever was not committed
            yield session

    @provide(scope=Scope.REQUEST)
    def uow(
        self,
        session: AsyncSession,
        listeners: CommitListeners,
        settings: Settings,
        sealer: ChainSealer,
        audit: AuditEntries,
    ) -> UnitOfWork:
        db = settings.database
        retry = RetryPolicy(
            attempts=db.retry_attempts,
            base_delay_seconds=db.retry_base_delay_ms / 1000,
            max_delay_seconds=db.retry_max_delay_ms / 1000,
        )
        return SqlUnitOfWork(session, listeners, retry, sealer=sealer, audit=audit)

    @provide(scope=Scope.REQUEST)
    def users(self, session: AsyncSession, codec: UserCodec) -> UserRepository:
        return SqlUserRepository(session, codec)

    tenant_scope = provide(SqlTenantScope, provides=TenantScope, scope=Scope.REQUEST)
    auth_sessions = provide(SqlSessionRepository, provides=SessionRepository, scope=Scope.REQUEST)
    refresh_tokens = provide(SqlRefreshTokenRepository, provides=RefreshTokenRepository, scope=Scope.REQUEST)
    consents = provide(SqlConsentRepository, provides=ConsentRepository, scope=Scope.REQUEST)
    events = provide(SqlEventOutbox, provides=AnyOf[EventOutbox, EventFeed], scope=Scope.REQUEST)
    emergency_grants = provide(
        SqlEmergencyGrantRepository, provides=EmergencyGrantRepository, scope=Scope.REQUEST
    )

    clinics = provide(SqlClinicRepository, provides=ClinicRepository, scope=Scope.REQUEST)
    locations = provide(SqlLocationRepository, provides=LocationRepository, scope=Scope.REQUEST)
    memberships = provide(SqlMembershipRepository, provides=MembershipRepository, scope=Scope.REQUEST)
    audit_reader = provide(SqlAuditReader, provides=AuditReader, scope=Scope.REQUEST)
