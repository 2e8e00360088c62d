"""Consent history and break-glass grants, both clinic-owned."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.consent import ConsentRecord, EmergencyGrant


class ConsentRepository(Protocol):
    @abstractmethod
    async def add(self, record: ConsentRecord) -> None: ...

    @abstractmethod
    async def history(self, clinic_id: UUID, patient_id: UUID) -> Sequence[ConsentRecord]:
        """Every record of the patient in the clinic, oldest first."""
        ...


class EmergencyGrantRepository(Protocol):
    @abstractmethod
    async def add(self, grant: EmergencyGrant) -> None: ...

    @abstractmethod
    async def active(
        self, clinic_id: UUID, patient_id: UUID, user_id: UUID, now: datetime
    ) -> EmergencyGrant | None:
        """The user's grant on the patient active at ``now``, if any."""
        ...

    @abstractmethod
    async def for_patient(self, clinic_id: UUID, patient_id: UUID) -> Sequence[EmergencyGrant]:
        """Every grant on the patient in the clinic, expired ones included, oldest first
        (by granted_at, then id)."""
        ...
