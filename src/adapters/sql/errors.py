"""Translating database errors into domain errors, shared by the repositories and the unit of work."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sql.records import Base
from domain.errors import (
    DomainError,
    EmailAlreadyExists,
    MembershipAlreadyExists,
    PhoneAlreadyExists,
    ServiceUnavailable,
)

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2

# Which unique constraint (by name, as the naming convention makes it) stands for which rule.
_UNIQUE_RULES: dict[str, type[DomainError]] = {
    "uq_users_email_key": EmailAlreadyExists,
    "uq_users_phone": PhoneAlreadyExists,
    "pk_clinic_memberships": MembershipAlreadyExists,
}


def _constraint_texts() -> dict[str, type[DomainError]]:
    """How each driver names the violated constraint. PostgreSQL quotes its name; SQLite lists
    its columns (``UNIQUE constraint failed: users.email_key``), so both are derived from the
    Records' metadata rather than written twice."""
    texts: dict[str, type[DomainError]] = {}
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            error = _UNIQUE_RULES.get(str(constraint.name))
            if error is None:
                continue
            columns = ", ".join(f"{table.name}.{column.name}" for column in constraint.columns)
            texts[f'"{constraint.name}"'] = error
            texts[f"UNIQUE constraint failed: {columns}"] = error
    return texts


_CONSTRAINT_TEXTS = _constraint_texts()


def uniqueness_error(exc: IntegrityError) -> DomainError | None:
    """The domain error for a violated uniqueness rule, or None for any other integrity error."""
    message = str(exc.orig)
    for text, error in _CONSTRAINT_TEXTS.items():
        if text in message if text.startswith('"') else message.rstrip().endswith(text):
            return error()
    return None


def is_unavailable(exc: BaseException) -> bool:
    """A dropped, refused or timed-out connection (worth retrying), not a bug in a statement."""
    if isinstance(exc, OperationalError | InterfaceError | TimeoutError | OSError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@asynccontextmanager
async def translated(session: AsyncSession) -> AsyncIterator[None]:
    """Run a statement or a commit; on a uniqueness violation or a lost connection, roll the
    session back (nothing of the unit is kept) and raise the domain error instead."""
    try:
        yield
    except IntegrityError as exc:
        await _rollback_quietly(session)
        error = uniqueness_error(exc)
        if error is None:
            raise
        raise error from exc
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        await _rollback_quietly(session)
        logger.warning("database unavailable: %s", type(exc).__name__)
        raise ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS, context=type(exc).__name__) from exc


async def _rollback_quietly(session: AsyncSession) -> None:
    try:
        await session.rollback()
    except Exception:  # the connection may be gone already; the original error is what matters
        logger.debug("rollback after a failed statement failed too", exc_info=True)
