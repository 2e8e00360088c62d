"""What a caller may see of the appointments they are allowed to see, and the audit of that read.

An appointment is PHI twice over: the fact of the visit (who sees which doctor when) and the
patient's words (``reason``, and the free text of a cancellation). The front desk must see the
day's bookings to run it, with or without a treatment consent on file; the patient's words are
clinical and stay behind the PHI gate (``authorize_phi_read``: self, treatment consent,
break-glass). So:

- a caller allowed VIEW_APPOINTMENTS sees every field of the appointment but those words;
- the words are shown only on a PHI basis (SELF, CONSENT, EMERGENCY), else withheld (null);
- lists are schedules: staff see the words one appointment at a time (a read of one, under its
  basis), never in a list, which shows them only to the patient whose words they are. The
  minimum necessary for running a day; and a page of a list then costs the same few statements
  whoever is on it (no consent lookup per patient shown);
- every appointment shown is a PHI read, audited as ``VIEW_APPOINTMENT_<basis>`` naming the
  patient, SCHEDULE being the basis of a view without the words.

The consent history the gate reads is cached (sensitive, per clinic and patient, tagged
``consents:<patient>``: every consent write touches it, so a withdrawal is seen by the next read
in every process); whether a consent is active is worked out at each read from the cached
records, so an expiry needs no write.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from uuid import UUID

from application.auditing import AuditEntries
from application.caching import UNCACHED, QueryCache, cached
from application.consent.phi_access import CONSENTS_TAG, authorize_phi_read
from application.ports.audit import PhiReadAudit
from application.ports.cache import FREQUENT
from application.ports.clock import Clock
from application.ports.consent import ConsentRepository, EmergencyGrantRepository
from domain.access import Actor
from domain.appointments import Appointment
from domain.consent import ConsentRecord
from domain.errors import ConsentExpired, InsufficientPermissions, PatientNotFound

SCHEDULE = "SCHEDULE"
VIEW_APPOINTMENT = "VIEW_APPOINTMENT"


def withheld(appointment: Appointment) -> Appointment:
    """A copy of ``appointment`` without the patient's words."""
    cancellation = appointment.cancellation
    return dataclasses.replace(
        appointment,
        reason=None,
        cancellation=dataclasses.replace(cancellation, reason=None) if cancellation else None,
    )


class AppointmentDisclosure:
    """Applies the rules above to appointments the caller was already allowed to see."""

    def __init__(
        self,
        consents: ConsentRepository,
        grants: EmergencyGrantRepository,
        clock: Clock,
        audit: AuditEntries,
        phi_reads: PhiReadAudit,
        cache: QueryCache = UNCACHED,
    ) -> None:
        self._consents = consents
        self._grants = grants
        self._clock = clock
        self._audit = audit
        self._phi_reads = phi_reads
        self.cache = cache

    async def basis(self, actor: Actor, appointment: Appointment) -> str:
        """SELF, CONSENT or EMERGENCY when the caller may read the patient's words, else SCHEDULE."""
        try:
            access = await authorize_phi_read(
                actor,
                appointment.clinic_id,
                appointment.patient_id,
                location_id=appointment.location_id,
                consents=self,
                grants=self._grants,
                now=self._clock.now(),
            )
        except (ConsentExpired, PatientNotFound, InsufficientPermissions):
            return SCHEDULE
        return access.basis.value.upper()

    @cached(
        "consents:{clinic_id}:{patient_id}",
        policy=FREQUENT,
        phi=True,
        tags=(CONSENTS_TAG, "patient:{patient_id}"),
    )
    async def history(self, clinic_id: UUID, patient_id: UUID) -> Sequence[ConsentRecord]:
        """The patient's consent records in the clinic, oldest first (the gate's ConsentHistory)."""
        return await self._consents.history(clinic_id, patient_id)

    async def disclose(
        self, actor: Actor, appointments: Sequence[Appointment], *, schedule: bool = False
    ) -> list[Appointment]:
        """The appointments as the caller may see them, each read audited (one gate decision per
        patient and location, however many of their appointments are shown). ``schedule`` (a
        list): the words only for the patient's own appointments, which needs no lookup."""
        bases: dict[tuple[UUID, UUID], str] = {}
        shown: list[Appointment] = []
        entries = []
        for appointment in appointments:
            key = (appointment.patient_id, appointment.location_id)
            if key not in bases:
                own = appointment.patient_id == actor.user_id
                bases[key] = await self.basis(actor, appointment) if own or not schedule else SCHEDULE
            basis = bases[key]
            shown.append(withheld(appointment) if basis == SCHEDULE else appointment)
            entries.append(
                self._audit.entry(
                    actor,
                    f"{VIEW_APPOINTMENT}_{basis}",
                    "appointment",
                    appointment.id,
                    clinic_id=appointment.clinic_id,
                    patient_id=appointment.patient_id,
                )
            )
        if entries:
            await self._phi_reads.record(*entries)
        return shown
