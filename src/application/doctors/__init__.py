"""Use cases: doctors."""
