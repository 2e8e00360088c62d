"""Route for reading the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from dishka.integrations.litestar import FromDishka
from litestar import get
from litestar.params import FromQuery, QueryParameter

from application.audit.list_audit_entries import ListAuditEntries
from application.ports.audit import AuditQuery
from domain.access import Actor
from domain.errors import ValidationFailed
from entrypoints.http.audit_schemas import AuditEntryListOut, AuditEntryOut
from entrypoints.http.openapi import error_responses
from entrypoints.http.params import next_cursor, page_request, parse_uuid


def parse_time(value: str | None, name: str) -> datetime | None:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 time with its offset (``Z`` for UTC)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise ValidationFailed(
            details={
                name: "expected YYYY-MM-DD or an ISO 8601 time with an offset, e.g. 2026-03-01T09:00:00Z"
            }
        )
    return moment.astimezone(UTC)


@get("/audit", tags=["audit"], responses=error_responses(400, 401, 403))
async def list_audit_entries(
    actor: FromDishka[Actor],
    list_entries: FromDishka[ListAuditEntries],
    clinic_id: Annotated[str | None, QueryParameter(name="clinicId")] = None,
    resource_type: Annotated[str | None, QueryParameter(name="resourceType")] = None,
    resource_id: Annotated[str | None, QueryParameter(name="resourceId")] = None,
    actor_id: Annotated[str | None, QueryParameter(name="actorId")] = None,
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
    limit: FromQuery[int | None] = None,
    cursor: FromQuery[str | None] = None,
) -> AuditEntryListOut:
    """A clinic's audit trail (its admins and super admins), or without ``clinicId`` the
    platform's (super admins), in the order the entries were made. ``from`` is inclusive, ``to``
    exclusive; both take ``YYYY-MM-DD`` or an ISO 8601 time with an offset."""
    query = AuditQuery(
        clinic_id=parse_uuid(clinic_id, "clinicId") if clinic_id else None,
        resource_type=resource_type,
        resource_id=resource_id,
        actor_id=parse_uuid(actor_id, "actorId") if actor_id else None,
        since=parse_time(since, "from"),
        until=parse_time(until, "to"),
    )
    scope = f"audit:{query.clinic_id or 'platform'}"
    page = await list_entries(query, page_request(limit, cursor, scope), actor)
    return AuditEntryListOut(
        items=[AuditEntryOut.of(sealed) for sealed in page.items], next_cursor=next_cursor(page, scope)
    )


ROUTES = [list_audit_entries]
