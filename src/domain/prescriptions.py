"""Prescriptions: immutable versions in a lineage, each sealed by a hash of its canonical content.

Rules:
- A prescription lists 1 to 20 medications (name, dosage, frequency, duration in days, optional
  instructions) and optional notes; every text is NFC-normalised, trimmed and bounded.
- Once issued a version never changes. A correction is a new version of the same lineage
  (``lineage_id`` is the first version's id; versions count 1, 2, 3...); it supersedes the
  version it corrects, and only the latest version of a lineage may be corrected
  (PRESCRIPTION_SUPERSEDED otherwise). ``superseded_by`` is not stored on a version: it is the
  next version of its lineage, found by whoever reads it, so no stored row is ever updated.
- ``content_hash`` is SHA-256 over ``canonical_encoding``: it covers the clinic, patient,
  prescriber, appointment, medications, notes, issue time, version, lineage, the previous
  version's id and hash (a chain per lineage) and a random ``salt``. The salt is stored sealed
  with the medications and notes, so the hash reveals nothing about them to someone who can read
  hashes but not sealed content (without it, a one-medication prescription could be found by
  hashing every drug, dose and frequency).

The canonical encoding (format ``prescription/v1``) is the UTF-8 bytes of a JSON object with
keys sorted at every level, no insignificant whitespace (``,`` and ``:`` separators), non-ASCII
characters written as themselves (not ``\\u`` escapes), and only strings, integers, null, lists
and objects: no floats, so no rounding can differ between implementations. Ids are lower-case
hyphenated UUID strings; the issue time is UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six
fractional digits); medications keep their order (it is meaningful to the reader) and each is an
object with ``name``, ``dosage``, ``frequency``, ``duration_days`` (integer) and ``instructions``
(string or null).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.errors import PrescriptionSuperseded, ValidationFailed

CANONICAL_FORMAT = "prescription/v1"
HASH_ALGORITHM = "sha256"
MAX_MEDICATIONS = 20
MAX_DURATION_DAYS = 365
SALT_LENGTH = 32  # hex characters: 128 random bits

# Field -> (API name, shortest, longest, may span lines).
_TEXTS: dict[str, tuple[str, int, int, bool]] = {
    "name": ("name", 1, 200, False),
    "dosage": ("dosage", 1, 100, False),
    "frequency": ("frequency", 1, 100, False),
    "instructions": ("instructions", 1, 1000, True),
}
NOTES_MAX = 4000


def _clean(value: str, *, shortest: int, longest: int, multiline: bool) -> str:
    """``value`` NFC-normalised and trimmed, or ValueError saying what is wrong."""
    text = unicodedata.normalize("NFC", value).strip()
    if not shortest <= len(text) <= longest:
        raise ValueError(f"expected {shortest} to {longest} characters")
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in allowed for ch in text):
        raise ValueError("contains control or unassigned characters")
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class Medication:
    name: str
    dosage: str
    frequency: str
    duration_days: int
    instructions: str | None = None

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        for field_name, (api_name, shortest, longest, multiline) in _TEXTS.items():
            value = getattr(self, field_name)
            if value is None and field_name == "instructions":
                continue
            if not isinstance(value, str):
                problems[api_name] = "expected text"
                continue
            try:
                object.__setattr__(
                    self, field_name, _clean(value, shortest=shortest, longest=longest, multiline=multiline)
                )
            except ValueError as exc:
                problems[api_name] = str(exc)
        days = self.duration_days
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DURATION_DAYS:
            problems["durationDays"] = f"expected a whole number of days from 1 to {MAX_DURATION_DAYS}"
        if problems:
            raise ValidationFailed(details=problems)

    def canonical(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dosage": self.dosage,
            "frequency": self.frequency,
            "duration_days": self.duration_days,
            "instructions": self.instructions,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class MedicationLine:
    """A medication as a caller wrote it, before validation."""

    name: Any
    dosage: Any
    frequency: Any
    duration_days: Any
    instructions: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PrescriptionContent:
    """What the prescriber wrote (PHI) plus the salt of its hash; sealed at rest as one value."""

    medications: tuple[Medication, ...]
    notes: str | None
    salt: str

    @staticmethod
    def of(lines: Sequence[MedicationLine], notes: Any, *, salt: str) -> PrescriptionContent:
        """Validated content; ValidationFailed names every bad field (``medications[0].dosage``)."""
        problems: dict[str, str] = {}
        medications: list[Medication] = []
        if not 1 <= len(lines) <= MAX_MEDICATIONS:
            problems["medications"] = f"expected 1 to {MAX_MEDICATIONS} medications"
        for index, line in enumerate(lines[:MAX_MEDICATIONS]):
            try:
                medications.append(
                    Medication(
                        name=line.name,
                        dosage=line.dosage,
                        frequency=line.frequency,
                        duration_days=line.duration_days,
                        instructions=line.instructions,
                    )
                )
            except ValidationFailed as exc:
                problems |= {f"medications[{index}].{k}": v for k, v in (exc.details or {}).items()}
        cleaned: str | None = None
        if notes is not None:
            try:
                if not isinstance(notes, str):
                    raise ValueError("expected text")
                cleaned = _clean(notes, shortest=1, longest=NOTES_MAX, multiline=True)
            except ValueError as exc:
                problems["notes"] = str(exc)
        if problems:
            raise ValidationFailed(details=problems)
        return PrescriptionContent(medications=tuple(medications), notes=cleaned, salt=salt)


@dataclass(frozen=True, slots=True, kw_only=True)
class Prescription:
    """One immutable version. ``superseded_by`` is derived on read (see the module docstring)."""

    id: UUID
    clinic_id: UUID
    patient_id: UUID
    prescriber_id: UUID
    appointment_id: UUID | None
    lineage_id: UUID
    version: int
    previous_id: UUID | None
    previous_hash: str | None
    content: PrescriptionContent
    issued_at: datetime
    content_hash: str
    superseded_by: UUID | None = None

    @staticmethod
    def issue(
        *,
        id: UUID,
        clinic_id: UUID,
        patient_id: UUID,
        prescriber_id: UUID,
        appointment_id: UUID | None,
        content: PrescriptionContent,
        issued_at: datetime,
    ) -> Prescription:
        """Version 1 of a new lineage."""
        return _sealed(
            id=id,
            clinic_id=clinic_id,
            patient_id=patient_id,
            prescriber_id=prescriber_id,
            appointment_id=appointment_id,
            lineage_id=id,
            version=1,
            previous_id=None,
            previous_hash=None,
            content=content,
            issued_at=issued_at,
        )

    def correct(
        self,
        *,
        id: UUID,
        prescriber_id: UUID,
        appointment_id: UUID | None,
        content: PrescriptionContent,
        issued_at: datetime,
    ) -> Prescription:
        """The next version of this lineage, superseding this one; PRESCRIPTION_SUPERSEDED when
        this version was already corrected."""
        if self.superseded_by is not None:
            raise PrescriptionSuperseded()
        return _sealed(
            id=id,
            clinic_id=self.clinic_id,
            patient_id=self.patient_id,
            prescriber_id=prescriber_id,
            appointment_id=appointment_id,
            lineage_id=self.lineage_id,
            version=self.version + 1,
            previous_id=self.id,
            previous_hash=self.content_hash,
            content=content,
            issued_at=issued_at,
        )

    def is_intact(self) -> bool:
        """Whether the stored hash still matches the content (recomputed)."""
        return content_hash(self) == self.content_hash


def new_salt() -> str:
    """A fresh salt for a version's content hash."""
    return secrets.token_hex(SALT_LENGTH // 2)


def _sealed(**fields: Any) -> Prescription:
    draft = Prescription(content_hash="", **fields)
    return Prescription(content_hash=content_hash(draft), **fields)


def _time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("a prescription's times carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _no_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("the canonical encoding carries no floats")
    if isinstance(value, dict):
        for item in value.values():
            _no_floats(item)
    elif isinstance(value, list):
        for item in value:
            _no_floats(item)


def canonical_encoding(prescription: Prescription) -> bytes:
    """The bytes ``content_hash`` is taken over (the format is in the module docstring)."""
    p = prescription
    document: dict[str, Any] = {
        "format": CANONICAL_FORMAT,
        "id": str(p.id),
        "clinic_id": str(p.clinic_id),
        "patient_id": str(p.patient_id),
        "prescriber_id": str(p.prescriber_id),
        "appointment_id": None if p.appointment_id is None else str(p.appointment_id),
        "lineage_id": str(p.lineage_id),
        "version": p.version,
        "previous_id": None if p.previous_id is None else str(p.previous_id),
        "previous_hash": p.previous_hash,
        "issued_at": _time(p.issued_at),
        "medications": [m.canonical() for m in p.content.medications],
        "notes": p.content.notes,
        "salt": p.content.salt,
    }
    _no_floats(document)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def content_hash(prescription: Prescription) -> str:
    """SHA-256 of the canonical encoding, lower-case hex."""
    return hashlib.sha256(canonical_encoding(prescription)).hexdigest()
