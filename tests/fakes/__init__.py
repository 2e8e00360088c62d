"""Fakes of outside services, served over real sockets on loopback (tests, e2e, bench)."""
