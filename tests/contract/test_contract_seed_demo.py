"""``healthcare seed-demo`` on the embedded SQLite file and on PostgreSQL (production profile).

- The CLI's entry function loads a small clinic group; the tables hold exactly what it reports:
  clinics, doctors with profiles, patients with records and both consents, appointments and
  prescriptions, and one SEED_DEMO_DATA audit entry per transaction; the audit chains verify.
- No two active appointments of one doctor, or of one patient, overlap (read from the table).
- The seeded data reads back through the API: a seeded clinic's admin lists its appointments.
- Loading the same seed again is refused, and changes nothing.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from dishka import AsyncContainer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# Appended, not prepended: ``conftest`` must stay this folder's.
sys.path.append(str(Path(__file__).resolve().parents[1] / "http"))
from http_api import embedded_settings, open_api, production_database

from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand
from domain.errors import ValidationFailed
from entrypoints import cli_audit, cli_seed
from entrypoints.bootstrap import as_system
from entrypoints.config import Settings
from entrypoints.ioc.profiles import build_container

ARGS = argparse.Namespace(
    clinics=2,
    doctors_per_clinic=3,
    patients=12,
    days=5,
    past_days=3,
    seed=5,
    batch_size=40,
    no_progress=False,
)
SUMMARY = re.compile(
    r"Seeded (\d+) clinic\(s\), (\d+) doctors, (\d+) patients, (\d+) appointments, "
    r"(\d+) prescriptions in (\d+) transactions"
)
ACTIVE = "('HELD', 'BOOKED', 'CHECKED_IN')"
OVERLAPS = """
SELECT count(*) FROM appointments a JOIN appointments b
  ON a.clinic_id = b.clinic_id AND a.id < b.id AND a.{who} = b.{who}
 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
WHERE a.status IN {active} AND b.status IN {active}
"""


@asynccontextmanager
async def _settings(backend: str, tmp_path: Path) -> AsyncIterator[Settings]:
    if backend == "sqlite":
        yield embedded_settings(tmp_path)
    else:
        async with production_database(tmp_path) as settings:
            yield settings


async def _scalar(url: str, sql: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(sql))).scalar_one())
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_seed_demo_loads_a_clinic_group_that_holds_every_rule(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with _settings(backend, tmp_path) as settings:
        assert await cli_seed.run(ARGS, settings) == 0
        out = capsys.readouterr()
        found = SUMMARY.search(out.out)
        assert found, out.out
        clinics, doctors, patients, appointments, prescriptions, batches = map(int, found.groups())
        assert (clinics, doctors, patients) == (2, 6, 24)
        assert appointments > 0 and prescriptions > 0
        assert "2/2 [" in out.err  # the progress bar, on stderr

        url = settings.database.url
        # The embedded demo clinic has no clinical data under APP_ENV=test.
        assert await _scalar(url, "SELECT count(*) FROM clinics") == clinics + (backend == "sqlite")
        assert await _scalar(url, "SELECT count(*) FROM doctors") == doctors
        assert await _scalar(url, "SELECT count(*) FROM patients") == patients
        assert await _scalar(url, "SELECT count(*) FROM patient_consents") == 2 * patients
        assert await _scalar(url, "SELECT count(*) FROM appointments") == appointments
        assert await _scalar(url, "SELECT count(*) FROM prescriptions") == prescriptions
        members = (
            "SELECT count(*) FROM clinic_memberships WHERE role IN ('DOCTOR', 'PATIENT', 'CLINIC_ADMIN')"
        )
        assert await _scalar(url, members) == doctors + patients + clinics + (backend == "sqlite")
        audit = "SELECT count(*) FROM audit_entries WHERE action = 'SEED_DEMO_DATA'"
        assert await _scalar(url, audit) == batches + (backend == "sqlite")
        assert batches < appointments  # one entry per batch, not per row
        for who in ("doctor_id", "patient_id"):
            assert await _scalar(url, OVERLAPS.format(who=who, active=ACTIVE)) == 0
        active = f"SELECT count(*) FROM appointments WHERE status IN {ACTIVE}"
        assert await _scalar(url, active) > 0

        verify = argparse.Namespace(action="verify", clinic=None, checkpoints=None)
        assert await cli_audit.run(verify, settings) == 0

        with pytest.raises(ValidationFailed):
            await cli_seed.run(ARGS, settings)
        assert await _scalar(url, "SELECT count(*) FROM appointments") == appointments

        # Tokens from a container of the test's own loop (the app's pools live in the client's).
        tokens = build_container(settings)
        try:
            admin = await _auth(tokens, "admin.1.0.s5@seed.demo.clinic")
            desk = await _auth(tokens, "reception.1.0.s5@seed.demo.clinic")
            async for api in open_api(settings):
                clinic = (await api.client.get("/api/v1/clinics", headers=admin)).json()["items"][0]["id"]
                listed = await api.client.get(
                    "/api/v1/appointments", params={"clinicId": clinic, "limit": 5}, headers=desk
                )
                assert listed.status_code == 200, listed.text
                assert len(listed.json()["items"]) == 5
        finally:
            await tokens.close()


async def _auth(container: AsyncContainer, email: str) -> dict[str, str]:
    async with container() as request:
        await as_system(request)
        issued = await (await request.get(IssueOperatorToken))(IssueOperatorTokenCommand(email=email))
    return {"Authorization": f"Bearer {issued.token}"}
