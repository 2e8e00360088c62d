"""Request and response bodies of the prescription routes, and the document page."""

from __future__ import annotations

import html
from datetime import datetime
from uuid import UUID

from domain.prescriptions import Medication, MedicationLine, Prescription
from entrypoints.http.schemas import In, Out


class MedicationIn(In):
    name: str
    dosage: str
    frequency: str
    duration_days: int
    instructions: str | None = None

    def line(self) -> MedicationLine:
        return MedicationLine(
            name=self.name,
            dosage=self.dosage,
            frequency=self.frequency,
            duration_days=self.duration_days,
            instructions=self.instructions,
        )


class PrescriptionIn(In):
    clinic_id: UUID
    patient_id: UUID
    medications: list[MedicationIn]
    appointment_id: UUID | None = None
    notes: str | None = None


class CorrectionIn(In):
    medications: list[MedicationIn]
    appointment_id: UUID | None = None
    notes: str | None = None


class MedicationOut(Out):
    name: str
    dosage: str
    frequency: str
    duration_days: int
    instructions: str | None

    @classmethod
    def of(cls, medication: Medication) -> MedicationOut:
        return cls(
            name=medication.name,
            dosage=medication.dosage,
            frequency=medication.frequency,
            duration_days=medication.duration_days,
            instructions=medication.instructions,
        )


class PrescriptionOut(Out):
    id: UUID
    clinic_id: UUID
    patient_id: UUID
    prescriber_id: UUID
    appointment_id: UUID | None
    lineage_id: UUID
    version: int
    supersedes: UUID | None
    superseded_by: UUID | None
    issued_at: datetime
    medications: list[MedicationOut]
    notes: str | None

    @classmethod
    def fields_of(cls, p: Prescription) -> dict[str, object]:
        return {
            "id": p.id,
            "clinic_id": p.clinic_id,
            "patient_id": p.patient_id,
            "prescriber_id": p.prescriber_id,
            "appointment_id": p.appointment_id,
            "lineage_id": p.lineage_id,
            "version": p.version,
            "supersedes": p.previous_id,
            "superseded_by": p.superseded_by,
            "issued_at": p.issued_at,
            "medications": [MedicationOut.of(m) for m in p.content.medications],
            "notes": p.content.notes,
        }

    @classmethod
    def of(cls, p: Prescription) -> PrescriptionOut:
        return cls(**cls.fields_of(p))  # type: ignore[arg-type]


class DocumentLinkOut(Out):
    url: str  # relative to the API's origin; the token in it carries no PHI
    expires_at: datetime


class IssuedPrescriptionOut(PrescriptionOut):
    document: DocumentLinkOut


class PrescriptionListOut(Out):
    items: list[PrescriptionOut]
    next_cursor: str | None


class PrescriptionVerificationOut(Out):
    id: UUID
    valid: bool
    content_hash: str  # SHA-256 of the canonical content, salted: reveals nothing of the content
    algorithm: str


def document_page(p: Prescription) -> str:
    """The prescription as a small self-contained HTML page; every value is escaped."""
    e = html.escape
    rows = "".join(
        "<tr>"
        f"<td>{e(m.name)}</td><td>{e(m.dosage)}</td><td>{e(m.frequency)}</td>"
        f"<td>{m.duration_days}</td><td>{e(m.instructions or '')}</td>"
        "</tr>"
        for m in p.content.medications
    )
    notice = (
        f'<p class="notice">This version was corrected by a later one ({e(str(p.superseded_by))}). '
        "Ask the clinic for the current prescription.</p>"
        if p.superseded_by is not None
        else ""
    )
    notes = f"<h2>Notes</h2><p>{e(p.content.notes)}</p>" if p.content.notes else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="robots" content="noindex"><title>Prescription</title>'
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #999;padding:.3em}"
        "table{border-collapse:collapse}.notice{color:#a00}</style></head><body>"
        f"<h1>Prescription</h1>{notice}"
        f"<p>Prescription {e(str(p.id))}, version {p.version}, issued {e(p.issued_at.isoformat())}</p>"
        "<table><thead><tr><th>Medication</th><th>Dosage</th><th>Frequency</th><th>Days</th>"
        f"<th>Instructions</th></tr></thead><tbody>{rows}</tbody></table>{notes}"
        "</body></html>"
    )
