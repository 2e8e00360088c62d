"""Every profile's Dishka graph builds and resolves its parts, with no services running."""

from __future__ import annotations

from pathlib import Path

import pytest

from application.auth.authenticate import Authenticate
from application.clinics.create_clinic import CreateClinic
from application.ports.repositories import ClinicRepository
from application.ports.security import AccessTokens
from application.ports.uow import UnitOfWork
from entrypoints.config import Profile, load_settings
from entrypoints.ioc.profiles import PROFILES, build_container
from entrypoints.ioc.readiness import ReadinessProbes

PRODUCTION_SECRETS = {
    "JWT_SECRET": "p" * 40,
    "SECURITY_PHI_ENCRYPTION_KEY": "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
    "SECURITY_BLIND_INDEX_KEY": "b" * 40,
    "SECURITY_AUDIT_KEY": "a" * 40,
    "SECURITY_OTP_HASH_KEY": "o" * 40,
}


def test_every_profile_has_a_row() -> None:
    assert set(PROFILES) == set(Profile)


@pytest.mark.parametrize("profile", list(Profile))
async def test_profile_graph_builds(profile: Profile, tmp_path: Path) -> None:
    environ = {"APP_PROFILE": profile.value, "APP_DATA_DIR": str(tmp_path), **PRODUCTION_SECRETS}
    settings = load_settings(environ, base_dir=tmp_path, in_container=False)
    container = build_container(settings)
    try:
        assert await container.get(AccessTokens) is not None
        probes = await container.get(ReadinessProbes)
        expected = {
            Profile.MEMORY: [],
            Profile.EMBEDDED: ["database"],
            Profile.PRODUCTION: ["database", "cache"],
        }
        assert [p.name for p in probes.probes] == expected[profile]
        async with container() as request:
            # Resolving builds sessions and repositories; nothing connects until a query runs.
            for dependency in (UnitOfWork, ClinicRepository, CreateClinic, Authenticate):
                assert await request.get(dependency) is not None
    finally:
        await container.close()
