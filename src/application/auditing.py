"""Building audit entries the same way in every use case."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from application.ports.clock import Clock, IdGenerator
from domain.access import Action, Actor
from domain.audit import AuditEntry, Denial, Outcome
from domain.identity import Role


def actor_role(actor: Actor | None, clinic_id: UUID | None) -> str | None:
    """SUPER_ADMIN, or the actor's role in ``clinic_id``; None for the system, or for someone who
    holds no role there (platform entries of clinic admins, outsiders)."""
    if actor is None:
        return None
    if actor.is_super_admin:
        return Role.SUPER_ADMIN.value
    role = actor.role_in(clinic_id) if clinic_id is not None else None
    return role.value if role is not None else None


def denial(
    actor: Actor,
    action: Action | str,
    clinic_id: UUID | None,
    *,
    resource: tuple[str, UUID | str] | None = None,
    patient_id: UUID | None = None,
) -> Denial:
    """What to audit about ``actor`` being refused ``action``. Without ``resource`` the target is
    the clinic itself, or the platform for platform actions."""
    if resource is None:
        resource = ("clinic", clinic_id) if clinic_id is not None else ("platform", str(action))
    return Denial(
        actor_id=actor.user_id,
        actor_role=actor_role(actor, clinic_id),
        request_id=actor.request_id,
        client_ip=actor.client_ip,
        action=str(action),
        resource_type=resource[0],
        resource_id=str(resource[1]),
        clinic_id=clinic_id,
        patient_id=patient_id,
    )


def vars_of(entity: Any) -> dict[str, Any]:
    """An entity's fields and values (a dataclass, slotted or not), for ``changed_fields``."""
    return {f.name: getattr(entity, f.name) for f in dataclasses.fields(entity)}


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any], *, ignore: Iterable[str] = ()
) -> tuple[str, ...]:
    """The names (never the values) of the fields whose values differ, sorted."""
    skipped = set(ignore)
    return tuple(sorted(k for k in after if k not in skipped and before.get(k) != after[k]))


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
        patient_id: UUID | None = None,
        changed_fields: Iterable[str] = (),
    ) -> AuditEntry:
        """An entry for ``actor`` (None: the system, whose ``request_id`` may be given instead);
        the actor's role, request id and client address come from the Actor."""
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
            actor_role=actor_role(actor, clinic_id),
            patient_id=patient_id,
            client_ip=actor.client_ip if actor else None,
            changed_fields=tuple(changed_fields),
        )

    def denied(self, refused: Denial) -> AuditEntry:
        """The DENIED entry for a refused attempt."""
        return AuditEntry(
            id=self._ids.new_id(),
            occurred_at=self._clock.now(),
            actor_id=refused.actor_id,
            action=refused.action,
            resource_type=refused.resource_type,
            resource_id=refused.resource_id,
            clinic_id=refused.clinic_id,
            request_id=refused.request_id,
            outcome=Outcome.DENIED,
            actor_role=refused.actor_role,
            patient_id=refused.patient_id,
            client_ip=refused.client_ip,
        )
