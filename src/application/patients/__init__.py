"""Use cases: patients."""
