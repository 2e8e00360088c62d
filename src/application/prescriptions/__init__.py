"""Use cases: prescriptions."""
