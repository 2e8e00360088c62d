"""Every table this adapter knows, gathered on one MetaData (for Alembic and the schema test).

A module that defines Records must be imported here, or Alembic would not see its tables.
"""

from __future__ import annotations

from adapters.sql import (
    appointment_records,
    audit_records,
    consent_records,
    doctor_records,
    event_records,
    otp_records,
    outbox_records,
    patient_records,
    prescription_records,
    records,
    session_records,
)
from adapters.sql.records import Base

RECORD_MODULES = (
    records,
    session_records,
    otp_records,
    consent_records,
    audit_records,
    outbox_records,
    event_records,
    doctor_records,
    patient_records,
    appointment_records,
    prescription_records,
)
metadata = Base.metadata
