"""Signed, expiring links to a prescription's document, opened without a session."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentGrant:
    """What a link grants: one prescription of one clinic, until ``expires_at``. Nothing else is
    in a token, no PHI: it travels in URLs and messages."""

    prescription_id: UUID
    clinic_id: UUID
    expires_at: datetime


class DocumentLinks(Protocol):
    @abstractmethod
    def sign(self, grant: DocumentGrant) -> str:
        """A URL-safe token stating ``grant``, which only this service can make."""
        ...

    @abstractmethod
    def open(self, token: str, *, now: datetime) -> DocumentGrant:
        """The grant a token states, if it is ours, untampered and not expired at ``now``;
        DocumentLinkInvalid otherwise (one error for every reason, so a prober learns nothing)."""
        ...
