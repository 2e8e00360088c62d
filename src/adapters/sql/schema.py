"""Every table this adapter knows, gathered on one MetaData (for Alembic and the schema test).

A module that defines Records must be imported here, or Alembic would not see its tables.
"""

from __future__ import annotations

from adapters.sql import (
    audit_records,
    consent_records,
    otp_records,
    outbox_records,
    records,
    session_records,
)
from adapters.sql.records import Base

RECORD_MODULES = (records, session_records, otp_records, consent_records, audit_records, outbox_records)
metadata = Base.metadata
