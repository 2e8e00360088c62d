"""Translating database errors into domain errors, shared by the repositories and the unit of work."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from adapters.sql.records import Base
from domain.errors import (
    DomainError,
    EmailAlreadyExists,
    MembershipAlreadyExists,
    PhoneAlreadyExists,
    ServiceUnavailable,
    TransientFailure,
)

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2

# Which unique constraint (named by the Records' naming convention) stands for which rule.
_UNIQUE_RULES: dict[str, type[DomainError]] = {
    "uq_users_email_index": EmailAlreadyExists,
    "uq_users_phone_index": PhoneAlreadyExists,
    "pk_clinic_memberships": MembershipAlreadyExists,
}


def _driver_messages() -> dict[str, type[DomainError]]:
    """How each driver names the violated constraint: PostgreSQL quotes its name, SQLite lists
    its columns (``UNIQUE constraint failed: users.email_key``). Both are derived from the
    metadata, so a renamed column or constraint cannot silently break the translation."""
    messages: dict[str, type[DomainError]] = {}
    found: set[str] = set()
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            error = _UNIQUE_RULES.get(str(constraint.name))
            if error is not None and isinstance(constraint, ColumnCollectionConstraint):
                found.add(str(constraint.name))
                columns = ", ".join(f"{table.name}.{column.name}" for column in constraint.columns)
                messages[f'unique constraint "{constraint.name}"'] = error
                messages[f"UNIQUE constraint failed: {columns}"] = error
    if found != set(_UNIQUE_RULES):
        raise RuntimeError(f"unique rules name unknown constraints: {sorted(set(_UNIQUE_RULES) - found)}")
    return messages


_DRIVER_MESSAGES = _driver_messages()


def uniqueness_error(exc: IntegrityError) -> DomainError | None:
    """The domain error for a violated uniqueness rule, or None for any other integrity error."""
    message = str(exc.orig).strip()
    for text, error in _DRIVER_MESSAGES.items():
        if message.endswith(text) or f"{text}\n" in message:
            return error()
    return None


_CONNECTION_ERRORS = (OperationalError, InterfaceError, PoolTimeout, TimeoutError, OSError)
_RERUNNABLE_SQLSTATES = ("40001", "40P01")


def classify(exc: BaseException, *, committing: bool) -> DomainError | None:
    """TransientFailure when re-running the unit may cure it, ServiceUnavailable when the store is
    unreachable or the outcome is unknown, None for anything else (a bug in a statement).

    - Serialization failures and deadlocks: the server rolled back; re-run.
    - A connection lost or refused before COMMIT was sent: nothing was kept; re-run.
    - A connection lost during COMMIT: the server may or may not have committed; re-running
      could do the work twice, so the client gets 503 (idempotency keys make its retry safe).
    - Statement timeouts (the server's, or the client's when the link or the server stalls) and
      other operator interventions: 503, not re-run (a slow database would only get slower).
    """
    if _timed_out(exc):
        return ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS, context="statement timed out")
    sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", None) or "")
    if sqlstate.startswith(_RERUNNABLE_SQLSTATES):
        return TransientFailure(retry_after=RETRY_AFTER_SECONDS, context=f"sqlstate {sqlstate}")
    lost = isinstance(exc, _CONNECTION_ERRORS) or (
        isinstance(exc, DBAPIError) and (exc.connection_invalidated or sqlstate.startswith("08"))
    )
    if lost and not committing:
        return TransientFailure(retry_after=RETRY_AFTER_SECONDS, context=type(exc).__name__)
    if lost or sqlstate.startswith("57"):
        return ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS, context=sqlstate or type(exc).__name__)
    return None


def _timed_out(exc: BaseException) -> bool:
    """A statement the client stopped waiting for (asyncpg's command_timeout): anywhere in the
    chain of causes. A pool that had no connection to give is not one (PoolTimeout)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, PoolTimeout):
            return False
        if isinstance(current, TimeoutError) and not isinstance(current, ConnectionError):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


@asynccontextmanager
async def translated(session: AsyncSession, *, committing: bool = False) -> AsyncIterator[None]:
    """Run statements or a commit; on a uniqueness violation or a lost connection, roll the
    session back (nothing of the unit is kept) and raise the domain error instead."""
    try:
        yield
    except IntegrityError as exc:
        await _rollback_quietly(session)
        error = uniqueness_error(exc)
        if error is None:
            raise
        raise error from exc
    except DomainError:
        raise
    except Exception as exc:
        error = classify(exc, committing=committing)
        if error is None:
            raise
        await _rollback_quietly(session)
        logger.warning("database unavailable: %s", error.context)
        raise error from exc


async def _rollback_quietly(session: AsyncSession) -> None:
    try:
        await session.rollback()
    except Exception:  # the connection may be gone already; the original error is what matters
        logger.debug("rollback after a failed statement failed too", exc_info=True)
