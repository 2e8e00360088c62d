"""UnitOfWork over an SQLAlchemy AsyncSession: the business rows and their audit entries commit together."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from adapters.sql.audit_chain import append_sealed
from adapters.sql.errors import RETRY_AFTER_SECONDS, translated
from adapters.sql.replicas import PRIMARY_KEY
from application.auditing import AuditEntries
from application.ports.uow import CommitListeners, UnitOfWork
from domain.audit import AuditEntry
from domain.audit_chain import UNCONFIGURED_KEY, ChainSealer
from domain.errors import DomainError, ServiceUnavailable, TransientFailure

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently a unit is re-run after a TransientFailure: exponential backoff
    with full jitter, so that units that collided once do not collide again in lockstep."""

    attempts: int = 3
    base_delay_seconds: float = 0.02
    max_delay_seconds: float = 0.5


class SqlUnitOfWork(UnitOfWork):
    """One transaction on ``session``, shared with the request's repositories. Whoever opened the
    session closes it; closing without ``commit`` rolls everything back.

    Audit entries are sealed into their chains with ``sealer`` just before COMMIT, in the same
    transaction (adapters.sql.audit_chain). With ``audit``, ``run`` records the denial an error
    carries, as DENIED, in a transaction of its own after rolling the work back (without it, in
    units built by hand in tests, denials are not recorded)."""

    def __init__(
        self,
        session: AsyncSession,
        listeners: CommitListeners | None = None,
        retry: RetryPolicy | None = None,
        *,
        sealer: ChainSealer | None = None,
        audit: AuditEntries | None = None,
    ) -> None:
        self._session = session
        self._listeners = listeners or CommitListeners()
        self._retry = retry or RetryPolicy()
        self._audit: list[AuditEntry] = []
        self._touched: list[str] = []
        self._sealer = sealer or ChainSealer(UNCONFIGURED_KEY)
        self._entries = audit

    def record(self, *entries: AuditEntry) -> None:
        self._audit.extend(entries)

    def touch(self, *tags: str) -> None:
        self._touched.extend(tags)

    async def commit(self) -> None:
        entries, self._audit = self._audit, []
        touched, self._touched = tuple(dict.fromkeys(self._touched)), []
        async with translated(self._session):
            if entries:
                await append_sealed(self._session, self._sealer, entries)
        async with translated(self._session, committing=True):
            await self._session.commit()
        for listener in self._listeners.listeners:
            await listener.committed(entries, touched)

    async def rollback(self) -> None:
        self._audit.clear()
        self._touched.clear()
        await self._session.rollback()

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        # A writing unit reads from the primary, and so does the rest of its request (read your writes).
        self._session.info[PRIMARY_KEY] = True
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientFailure),
            stop=stop_after_attempt(self._retry.attempts),
            wait=wait_random_exponential(
                multiplier=self._retry.base_delay_seconds, max=self._retry.max_delay_seconds
            ),
            before_sleep=self._before_rerun,
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    try:
                        return await work()
                    except BaseException as error:
                        await self.rollback()
                        await self._audit_denial(error)
                        raise
        except RetryError as exhausted:
            logger.warning("unit of work gave up after %d attempts", self._retry.attempts)
            raise ServiceUnavailable(
                retry_after=RETRY_AFTER_SECONDS, context="retries exhausted"
            ) from exhausted
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _audit_denial(self, error: BaseException) -> None:
        # Inside the attempt: should this commit fail transiently, the whole unit is re-run.
        refused = error.take_denial() if isinstance(error, DomainError) and self._entries else None
        if refused is not None and self._entries is not None:
            self.record(self._entries.denied(refused))
            await self.commit()

    @staticmethod
    async def _before_rerun(state: object) -> None:
        logger.info("re-running a unit of work after a transient failure")
