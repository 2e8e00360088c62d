"""Path ids and list pages, parsed at the edge into what use cases take."""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar
from uuid import UUID

from application.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest
from domain.errors import InvalidUuid, ValidationFailed

T = TypeVar("T")


def parse_uuid(value: str, name: str) -> UUID:
    """A path id; anything but a UUID is INVALID_UUID naming the parameter."""
    try:
        return UUID(value)
    except ValueError:
        raise InvalidUuid(
            details={name: "expected a UUID such as 0192f5e0-7c1a-7cc3-9d2e-6f1b2a3c4d5e"}
        ) from None


def page_request(limit: int | None, cursor: str | None, scope: str) -> PageRequest:
    """``limit`` defaults to DEFAULT_LIMIT and is capped at MAX_LIMIT; below 1 is a
    VALIDATION_ERROR. A cursor made for another scope (another clinic's list) is refused."""
    if limit is not None and limit < 1:
        raise ValidationFailed(details={"limit": f"expected an integer from 1 to {MAX_LIMIT}"})
    size = min(limit, MAX_LIMIT) if limit is not None else DEFAULT_LIMIT
    return PageRequest(limit=size, after=_decode_cursor(cursor, scope) if cursor else None)


def _decode_cursor(cursor: str, scope: str) -> UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        cursor_scope, _, after = raw.rpartition("|")
        if cursor_scope == scope:
            return UUID(after)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ValidationFailed(details={"cursor": "expected a cursor returned by this list"})


def next_cursor(page: Page[T], scope: str) -> str | None:
    """The opaque cursor for the page after ``page``, bound to ``scope``; None on the last page."""
    if page.next_after is None:
        return None
    return base64.urlsafe_b64encode(f"{scope}|{page.next_after}".encode()).decode().rstrip("=")
