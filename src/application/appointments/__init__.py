"""Use cases: appointments."""
