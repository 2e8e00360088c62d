"""Purge deleted patient records past the retention period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.auditing import AuditEntries
from application.ports.clock import Clock
from application.ports.patients import PatientRepository
from application.ports.uow import UnitOfWork
from domain.errors import ValidationFailed

BATCH = 200


@dataclass(frozen=True, slots=True)
class RecordsRetention:
    """How long a deleted patient record is kept (SECURITY_RECORDS_RETENTION_DAYS)."""

    days: int


@dataclass(frozen=True, slots=True)
class PurgeResult:
    cutoff: datetime
    purged: int


class PurgePatientRecords:
    """Remove deleted patient records for good.

    - Only records deleted before both ``before`` (when given) and the retention cutoff (now
      minus the retention period); live records are never touched.
    - In batches, each its own unit of work: a failure keeps what earlier batches purged.
    - Each purged record is audited (PURGE_PATIENT, by the system, on its clinic's chain).
    - Operators only (the CLI, acting as the system over every clinic).
    """

    def __init__(
        self,
        patients: PatientRepository,
        uow: UnitOfWork,
        clock: Clock,
        audit: AuditEntries,
        retention: RecordsRetention,
    ) -> None:
        self._patients = patients
        self._uow = uow
        self._clock = clock
        self._audit = audit
        self._retention = retention

    async def __call__(self, before: datetime | None = None) -> PurgeResult:
        if before is not None and before.utcoffset() is None:
            raise ValidationFailed(details={"before": "expected a timezone-aware time"})
        cutoff = self._clock.now() - timedelta(days=self._retention.days)
        if before is not None:
            cutoff = min(cutoff, before)
        total = 0
        while True:
            purged = await self._uow.run(lambda: self._batch(cutoff))
            total += purged
            if purged < BATCH:
                return PurgeResult(cutoff, total)

    async def _batch(self, cutoff: datetime) -> int:
        purged = await self._patients.purge_deleted_before(cutoff, limit=BATCH)
        self._uow.record(
            *(
                self._audit.entry(
                    None, "PURGE_PATIENT", "patient", patient_id, clinic_id=clinic_id, patient_id=patient_id
                )
                for clinic_id, patient_id in purged
            )
        )
        await self._uow.commit()
        return len(purged)
