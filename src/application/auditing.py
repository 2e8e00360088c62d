"""Building audit entries the same way in every use case."""

from __future__ import annotations

from uuid import UUID

from application.ports.clock import Clock, IdGenerator
from domain.access import Actor
from domain.audit import AuditEntry, Outcome


class AuditEntries:
    """Makes AuditEntry values stamped with a fresh id and the clock's time."""

    def __init__(self, clock: Clock, ids: IdGenerator) -> None:
        self._clock = clock
        self._ids = ids

    def entry(
        self,
        actor: Actor | None,
        action: str,
        resource_type: str,
        resource_id: UUID | str,
        *,
        clinic_id: UUID | None,
        outcome: Outcome = Outcome.SUCCESS,
        request_id: str | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            id=self._ids.new_id(),
            occurred_at=self._clock.now(),
            actor_id=actor.user_id if actor else None,
            action=action,
            resource_type=resource_type,
            resource_id=str(resource_id),
            clinic_id=clinic_id,
            request_id=actor.request_id if actor else request_id,
            outcome=outcome,
        )
