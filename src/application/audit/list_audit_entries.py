"""List a chain's audit entries, filtered."""

from __future__ import annotations

from application.access import require
from application.audit.denials import DeniedAttempts
from application.pagination import Page, PageRequest, page_of
from application.ports.audit import AuditQuery, AuditReader
from domain.access import Action, Actor
from domain.audit_chain import SealedEntry
from domain.errors import ValidationFailed


class ListAuditEntries:
    """List audit entries.

    - A clinic's trail: its clinic admins and super admins (others: CLINIC_ACCESS_DENIED or
      INSUFFICIENT_PERMISSIONS, and the refusal is audited).
    - The platform's trail (no clinic): super admins only.
    - Filters: resource type and id, actor, time range (``since`` inclusive, ``until``
      exclusive; ``since`` after ``until`` is a VALIDATION_ERROR); in the order made, keyset pages.
    """

    def __init__(self, audit: AuditReader, denied: DeniedAttempts) -> None:
        self._audit = audit
        self._denied = denied

    async def __call__(self, query: AuditQuery, page: PageRequest, actor: Actor) -> Page[SealedEntry]:
        return await self._denied.guard(lambda: self._list(query, page, actor))

    async def _list(self, query: AuditQuery, page: PageRequest, actor: Actor) -> Page[SealedEntry]:
        if query.clinic_id is None:
            require(actor, Action.VIEW_PLATFORM_AUDIT_TRAIL, resource=("audit_trail", "platform"))
        else:
            require(
                actor, Action.VIEW_AUDIT_TRAIL, query.clinic_id, resource=("audit_trail", query.clinic_id)
            )
        if query.since and query.until and query.since > query.until:
            raise ValidationFailed(details={"from": "expected a time before `to`"})
        rows = await self._audit.search(query, after=page.after, limit=page.limit + 1)
        return page_of(rows, page, lambda sealed: sealed.entry.id)
