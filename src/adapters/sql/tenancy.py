"""TenantScope over PostgreSQL row-level security.

Every transaction of a scoped session starts with one statement that sets, for that
transaction only (``set_config(..., true)``, the same as ``SET LOCAL``):
- ``role`` to the restricted application role, which owns nothing, so the policies apply;
- ``app.clinic_scope`` to ``*`` or a comma-separated list of clinic ids ('' sees no clinic);
- ``app.user_id`` to the caller, whose own memberships are visible before their clinics are known.
Transaction-local settings also survive PgBouncer in transaction mode, where session settings
would leak between clients. SQLite has no row-level security: there the scope is recorded and the
application's own clinic filters are the only wall (see the README).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from adapters.sql.replicas import PRIMARY_KEY, REPLICAS_KEY
from application.ports.tenancy import TenantScope

ROLE_KEY = "app_role"
SCOPE_KEY = "tenant_scope"
CONNECTIONS_KEY = "scoped_connections"
_SET_SCOPE = text(
    "SELECT set_config('role', :role, true), set_config('app.clinic_scope', :clinics, true), "
    "set_config('app.user_id', :user_id, true)"
)
_SET_SCOPE_KEEP_ROLE = text(
    "SELECT set_config('app.clinic_scope', :clinics, true), set_config('app.user_id', :user_id, true)"
)


class ScopedSession(Session):
    """The sync session under every AsyncSession we make: it applies the tenant scope at the
    start of every transaction (``_apply_on_begin``) and routes reads to a replica when the
    sessionmaker carries a ReplicaSet and this session is not writing (adapters.sql.replicas)."""

    def get_bind(self, mapper: Any = None, *, clause: Any = None, **kwargs: Any) -> Any:
        replicas = self.info.get(REPLICAS_KEY)
        if (
            replicas is not None
            and not self._flushing
            and not self.info.get(PRIMARY_KEY)
            and _is_read(clause)
        ):
            replica = replicas.pick()
            if replica is not None:
                return replica
        return super().get_bind(mapper, clause=clause, **kwargs)


def _is_read(clause: Any) -> bool:
    return (
        clause is not None
        and getattr(clause, "is_select", False)
        and not getattr(clause, "_for_update_arg", None)
    )


def _parameters(session: Session) -> dict[str, str]:
    clinics, user_id = session.info.get(SCOPE_KEY, ("", ""))
    return {"role": session.info.get(ROLE_KEY) or "", "clinics": clinics, "user_id": user_id}


@event.listens_for(ScopedSession, "after_begin")
def _apply_on_begin(session: Session, _transaction: SessionTransaction, connection: Any) -> None:
    if connection.dialect.name != "postgresql":
        return
    # A transaction may hold two connections (the primary and a read replica): a scope applied
    # later must reach both.
    session.info.setdefault(CONNECTIONS_KEY, []).append(connection)
    parameters = _parameters(session)
    statement = _SET_SCOPE if parameters["role"] else _SET_SCOPE_KEEP_ROLE
    connection.execute(statement, parameters)


@event.listens_for(ScopedSession, "after_transaction_end")
def _forget_connections(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(CONNECTIONS_KEY, None)


def _reapply(session: Session, parameters: dict[str, str]) -> None:
    for connection in session.info.get(CONNECTIONS_KEY, ()):
        connection.execute(_SET_SCOPE_KEEP_ROLE, parameters)


class SqlTenantScope(TenantScope):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def apply(self, *, user_id: UUID | None, clinic_ids: Collection[UUID] | None) -> None:
        clinics = "*" if clinic_ids is None else ",".join(sorted(str(c) for c in clinic_ids))
        self._session.info[SCOPE_KEY] = (clinics, str(user_id) if user_id else "")
        # Inside a transaction already (the caller's own user row was read): apply it now too,
        # on every connection the transaction holds (a replica's as well as the primary's).
        if self._session.in_transaction() and self._session.bind.dialect.name == "postgresql":
            await self._session.run_sync(_reapply, _parameters(self._session.sync_session))
