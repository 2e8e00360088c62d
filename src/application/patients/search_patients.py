"""Find a clinic's patients by phone, email or name prefix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from application.access import require
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.pagination import Page, PageRequest
from application.ports.audit import PhiReadAudit
from application.ports.patients import PatientRepository
from domain.access import Action, Actor
from domain.contact import Email, PhoneNumber
from domain.errors import ValidationFailed
from domain.name_search import matches, query_token
from domain.patients import Patient, Problems

SEARCH_RESULT = "VIEW_PATIENT_SEARCH_RESULT"
# Name candidates decrypted per request at most: a common prefix cannot make one search scan the
# clinic. A page cut short by it still carries a cursor, so the caller can read on.
MAX_CANDIDATES = 500
CANDIDATE_BATCH = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchPatientsQuery:
    """Exactly one of ``phone``, ``email``, ``name`` (a prefix of at least 3 letters)."""

    clinic_id: UUID
    page: PageRequest
    phone: str | None = None
    email: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientMatch:
    """What a search shows of a patient: enough to tell people apart, nothing clinical."""

    id: UUID
    name: str
    date_of_birth: date

    @classmethod
    def of(cls, patient: Patient) -> PatientMatch:
        return cls(id=patient.id, name=patient.name, date_of_birth=patient.date_of_birth)


class SearchPatients:
    """Find patients to serve or book.

    - Doctors and receptionists of the clinic (SEARCH_PATIENTS, one of the MEMBERS_ONLY actions:
      a super admin needs a clinical role in the clinic too, as for any patient data).
    - Phone (normalised to E.164) and email (case-insensitive) match exactly, by blind index;
      a name matches from the start of one of its words (see domain.name_search). Only this
      clinic's live records are searched.
    - Results show minimal identity (id, name, date of birth) under this rule, without a
      treatment consent: staff must find a patient to book or to record consent at the desk.
      The full record stays behind GetPatient's consent gate.
    - Each returned patient is a PHI read: one audit entry per patient (so "who saw patient X"
      finds searches too), never the query itself.
    """

    def __init__(
        self,
        patients: PatientRepository,
        audit: AuditEntries,
        phi_reads: PhiReadAudit,
        denied: DeniedAttempts,
    ) -> None:
        self._patients = patients
        self._audit = audit
        self._phi_reads = phi_reads
        self._denied = denied

    async def __call__(self, query: SearchPatientsQuery, actor: Actor) -> Page[PatientMatch]:
        return await self._denied.guard(lambda: self._search(query, actor))

    async def _search(self, query: SearchPatientsQuery, actor: Actor) -> Page[PatientMatch]:
        require(actor, Action.SEARCH_PATIENTS, query.clinic_id)  # super admins too need the role
        criteria = [c for c in ("phone", "email", "name") if getattr(query, c) is not None]
        if len(criteria) != 1:
            raise ValidationFailed(details={"query": "expected exactly one of phone, email or name"})
        if query.name is not None:
            page = await self._by_name(query.clinic_id, query.name, query.page)
        else:
            page = await self._exact(query)
        for match in page.items:
            await self._phi_reads.record(
                self._audit.entry(
                    actor, SEARCH_RESULT, "patient", match.id, clinic_id=query.clinic_id, patient_id=match.id
                )
            )
        return page

    async def _exact(self, query: SearchPatientsQuery) -> Page[PatientMatch]:
        problems = Problems()
        found: Patient | None = None
        if query.phone is not None:
            phone = problems.check("phone", lambda: PhoneNumber(str(query.phone)))
            problems.raise_any()
            found = await self._patients.find_by_phone(query.clinic_id, phone) if phone else None
        else:
            email = problems.check("email", lambda: Email(str(query.email)))
            problems.raise_any()
            found = await self._patients.find_by_email(query.clinic_id, email) if email else None
        after = query.page.after
        items = [PatientMatch.of(found)] if found and (after is None or found.id > after) else []
        return Page(items=items, next_after=None)

    async def _by_name(self, clinic_id: UUID, name: str, page: PageRequest) -> Page[PatientMatch]:
        token = query_token(name)
        if token is None:
            raise ValidationFailed(details={"name": "expected a word of at least 3 letters"})
        found: list[Patient] = []
        after, scanned = page.after, 0
        while len(found) <= page.limit and scanned < MAX_CANDIDATES:
            batch = min(CANDIDATE_BATCH, MAX_CANDIDATES - scanned)
            candidates = await self._patients.find_by_name_token(clinic_id, token, after=after, limit=batch)
            if not candidates:
                return self._page(found, page, next_after=None)
            scanned += len(candidates)
            for patient in await self._patients.get_many(clinic_id, candidates):
                if matches(patient.name, name):
                    found.append(patient)
            after = candidates[-1]
            if len(candidates) < batch:
                return self._page(found, page, next_after=None)
        return self._page(found, page, next_after=after)

    @staticmethod
    def _page(found: list[Patient], page: PageRequest, *, next_after: UUID | None) -> Page[PatientMatch]:
        """A page of at most ``limit``; when more matched, continue after the last one shown,
        else after the last candidate scanned (None when every candidate was scanned)."""
        if len(found) > page.limit:
            next_after = found[page.limit - 1].id
        return Page(items=[PatientMatch.of(p) for p in found[: page.limit]], next_after=next_after)
