"""Audit-trail providers: the sealer and the audit use cases (every profile), and where the
entries of PHI reads go (per profile: straight into the memory store, or buffered to SQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide, provide_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.memory.audit import InMemoryPhiReadAudit
from adapters.memory.store import InMemoryStore
from adapters.sql.phi_reads import BufferedSqlPhiReadAudit
from application.audit.denials import DeniedAttempts
from application.audit.list_audit_entries import ListAuditEntries
from application.audit.prune_audit_trail import AuditRetention
from application.ports.audit import PhiReadAudit
from domain.audit_chain import ChainSealer
from entrypoints.config import Settings


class AuditProvider(Provider):
    @provide(scope=Scope.APP)
    def sealer(self, settings: Settings) -> ChainSealer:
        return ChainSealer(settings.security.audit_key.encode())

    @provide(scope=Scope.APP)
    def retention(self, settings: Settings) -> AuditRetention:
        return AuditRetention(settings.security.audit_retention_days)

    use_cases = provide_all(DeniedAttempts, ListAuditEntries, scope=Scope.REQUEST)


class MemoryAuditProvider(Provider):
    @provide(scope=Scope.APP)
    def phi_reads(self, store: InMemoryStore, sealer: ChainSealer) -> PhiReadAudit:
        return InMemoryPhiReadAudit(store, sealer)


class SqlAuditProvider(Provider):
    @provide(scope=Scope.APP)
    async def phi_reads(
        self, sessions: async_sessionmaker[AsyncSession], sealer: ChainSealer, settings: Settings
    ) -> AsyncIterator[PhiReadAudit]:
        audit = BufferedSqlPhiReadAudit(
            sessions, sealer, interval_seconds=settings.security.audit_flush_interval_ms / 1000
        )
        yield audit
        await audit.close()  # at shutdown: what is still buffered is written
