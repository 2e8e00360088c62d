"""UnitOfWork over an SQLAlchemy AsyncSession: the business rows and their audit entries commit together."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from adapters.sql.errors import RETRY_AFTER_SECONDS, translated
from adapters.sql.mappers import audit_row
from adapters.sql.records import AuditEntryRecord
from adapters.sql.replicas import PRIMARY_KEY
from application.ports.uow import CommitListeners, UnitOfWork
from domain.audit import AuditEntry
from domain.errors import ServiceUnavailable, TransientFailure

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
    session closes it; closing without ``commit`` rolls everything back."""

    def __init__(
        self,
        session: AsyncSession,
        listeners: CommitListeners | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._session = session
        self._listeners = listeners or CommitListeners()
        self._retry = retry or RetryPolicy()
        self._audit: list[AuditEntry] = []

    def record(self, *entries: AuditEntry) -> None:
        self._audit.extend(entries)

    async def commit(self) -> None:
        entries, self._audit = self._audit, []
        async with translated(self._session):
            if entries:
                await self._session.execute(insert(AuditEntryRecord), [audit_row(e) for e in entries])
        async with translated(self._session, committing=True):
            await self._session.commit()
        for listener in self._listeners.listeners:
            await listener.committed(entries)

    async def rollback(self) -> None:
        self._audit.clear()
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
                    except BaseException:
                        await self.rollback()
                        raise
        except RetryError as exhausted:
            logger.warning("unit of work gave up after %d attempts", self._retry.attempts)
            raise ServiceUnavailable(
                retry_after=RETRY_AFTER_SECONDS, context="retries exhausted"
            ) from exhausted
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    @staticmethod
    async def _before_rerun(state: object) -> None:
        logger.info("re-running a unit of work after a transient failure")
