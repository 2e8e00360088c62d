"""Property-based fuzzing of the whole HTTP API from its own OpenAPI document (schemathesis).

The app runs in-process: schemathesis drives Litestar's ASGI app directly on an event loop of
its own (its ``from_asgi`` loader; lifespan included, so start-up migrates and seeds the demo
data exactly as ``make run`` does), on the embedded profile with a SQLite file per run.

Pass 1, as clinic staff (the demo clinic's admin): every operation gets FUZZ_EXAMPLES generated
requests (default 50); path ids and ``...Id`` body fields are a third of
the time real ids of the demo clinic and its objects, a third well-formed random UUIDs, so the
fuzzing reaches past the 400s and 404s. Checks: no 5xx, the status is one
the operation documents, the content type and the body match the documented response schema.

Pass 2, as the admin of another clinic (clinic B, made through the API): the same operations,
aimed at clinic A's ids; no response body may carry clinic A's id or the id of any of its objects.

Not fuzzed: ``POST /auth/logout`` (it would revoke the token the rest of the run uses; it has no
parameters to fuzz). Generation is schemathesis' positive mode: negative mode adds nothing for
the many operations whose only parameters are untyped strings (nothing to negate) and doubles the
time.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand
from application.demo.seed_demo_data import DEMO_ADMIN_EMAIL, DEMO_CLINIC_ADMIN_EMAIL
from entrypoints.bootstrap import as_system, prepare_store
from entrypoints.config import Settings, load_settings
from entrypoints.http.app import create_app
from entrypoints.ioc.profiles import build_container

# The catalogue's figure: 50 examples per operation; both passes over 55 operations took 53 s
# on this 2-core machine (25: about 30 s). Lower it with FUZZ_EXAMPLES when needed.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
API = "/api/v1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NOT_FUZZED = {("POST", f"{API}/auth/logout")}
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing left behind in the work tree
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


@dataclass
class World:
    app: Litestar
    staff: dict[str, str]
    outsider: dict[str, str]
    clinic_a: str
    clinic_b: str
    # Path parameter name -> real ids of clinic A's objects to aim at.
    known: dict[str, list[str]] = field(default_factory=dict)
    a_ids: set[str] = field(default_factory=set)


def _settings(data_dir: Path) -> Settings:
    environ = {
        "APP_PROFILE": "embedded",
        "APP_ENV": "test",
        "APP_DATA_DIR": str(data_dir),
        "RATE_LIMIT_ENABLED": "false",  # thousands of requests from one address, on purpose
        "LOGGING_ACCESS_LOG": "false",
    }
    return load_settings(environ, base_dir=data_dir, in_container=False)


async def _tokens(settings: Settings, *emails: str) -> list[dict[str, str]]:
    """Bearer headers, issued by a container of this event loop's own over the same store."""
    container = build_container(settings)
    try:
        await prepare_store(container, settings)
        headers = []
        for email in emails:
            async with container() as request:
                await as_system(request)
                issue = await request.get(IssueOperatorToken)
                token = (await issue(IssueOperatorTokenCommand(email=email, ttl_minutes=120))).token
            headers.append({"Authorization": f"Bearer {token}"})
        return headers
    finally:
        await container.close()


def _created(response: Any) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["id"] if "id" in response.json() else response.json()["userId"])


def _build_world(data_dir: Path) -> World:
    settings = _settings(data_dir)
    admin, staff = asyncio.run(_tokens(settings, DEMO_ADMIN_EMAIL, DEMO_CLINIC_ADMIN_EMAIL))
    app = create_app(settings)
    client = asgi.get_client(app)
    with client:
        clinic_a = client.get(f"{API}/clinics", headers=staff).json()["items"][0]["id"]
        base = f"{API}/clinics/{clinic_a}"
        location = _created(
            client.post(f"{base}/locations", json={"name": "Quay", "address": "1 Quay"}, headers=staff)
        )
        people = {}
        for email, role in (("doc@a.example", "DOCTOR"), ("pat@a.example", "PATIENT")):
            user = _created(
                client.post(f"{API}/users", json={"name": "A Person", "email": email}, headers=staff)
            )
            member = {"userId": user, "role": role, "locationIds": [location] if role == "DOCTOR" else []}
            _created(client.post(f"{base}/members", json=member, headers=staff))
            people[role] = user
        consent = _created(
            client.post(
                f"{base}/patients/{people['PATIENT']}/consents", json={"scope": "treatment"}, headers=staff
            )
        )
        clinic_b = _created(
            client.post(f"{API}/clinics", json={"name": "Clinic B", "timeZone": "UTC"}, headers=admin)
        )
        b_admin = _created(
            client.post(f"{API}/users", json={"name": "B Admin", "email": "admin@b.example"}, headers=admin)
        )
        _created(
            client.post(
                f"{API}/clinics/{clinic_b}/members",
                json={"userId": b_admin, "role": "CLINIC_ADMIN"},
                headers=admin,
            )
        )
        # Every id clinic A's own staff can list under the clinic: members, locations, and
        # whatever clinical registries exist by now (doctors, patients...).
        document = client.get(f"{API}/schema/openapi.json").json()
        a_ids = {clinic_a, location, consent, *people.values()}
        for path in document["paths"]:
            if (
                re.fullmatch(rf"{API}/clinics/\{{clinic_id\}}/[a-z-]+", path)
                and "get" in document["paths"][path]
            ):
                listed = client.get(path.replace("{clinic_id}", clinic_a), headers=staff)
                if listed.status_code == 200:
                    a_ids |= set(UUID.findall(listed.text))
    (outsider,) = asyncio.run(_tokens(settings, "admin@b.example"))
    a_ids -= {clinic_b, b_admin}
    known = {
        "clinic_id": [clinic_a],
        "location_id": [location],
        "user_id": list(people.values()),
        "doctor_id": [people["DOCTOR"]],
        "patient_id": [people["PATIENT"]],
        "consent_id": [consent],
    }
    return World(
        app=app,
        staff=staff,
        outsider=outsider,
        clinic_a=clinic_a,
        clinic_b=clinic_b,
        known=known,
        a_ids=a_ids,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = _build_world(tmp_path_factory.mktemp("fuzz"))
    yield built
    asgi.shutdown_lifespans()  # the app's shutdown: relay stopped, container closed


@pytest.fixture(scope="module")
def operations(world: World) -> list[Any]:
    schema = schemathesis.openapi.from_asgi(f"{API}/schema/openapi.json", world.app)
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()  # an operation the loader cannot read fails the run here
        if (operation.method.upper(), operation.path) not in NOT_FUZZED:
            found.append(operation)
    return found


def _aim(case: Any, data: st.DataObject, known: dict[str, list[str]]) -> None:
    """Aim the generated ids: each path id, and each ``...Id`` field of a JSON body, becomes a
    real id of clinic A, or a well-formed random UUID, or stays as generated (mostly a 400)."""
    for name in sorted(case.path_parameters or {}):
        case.path_parameters[name] = _aimed(data, name, known, case.path_parameters[name])
    if isinstance(case.body, dict):
        for key in sorted(case.body):
            name = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
            if name.endswith("_id"):
                case.body[key] = _aimed(data, name, known, case.body[key])


def _aimed(data: st.DataObject, name: str, known: dict[str, list[str]], generated: Any) -> Any:
    choices = known.get(name, [])
    choice = data.draw(st.sampled_from(["known", "uuid", "generated"] if choices else ["uuid", "generated"]))
    if choice == "known":
        return data.draw(st.sampled_from(choices), label=name)
    if choice == "uuid":
        return str(data.draw(st.uuids(), label=name))
    return generated


def _fuzz(operations: list[Any], check: Callable[[Any, st.DataObject], None]) -> list[str]:
    """Run ``check`` over EXAMPLES generated cases of every operation; the failures, one per
    failing operation (each shrunk by Hypothesis to its smallest example)."""
    failures = []
    for operation in operations:

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy(), data=st.data())
        def fuzz(case: Any, data: st.DataObject) -> None:
            check(case, data)

        try:
            fuzz()
        except Exception as failure:  # every operation gets its run; all failures are reported
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    return failures


def test_api_as_clinic_staff(world: World, operations: list[Any]) -> None:
    def check(case: Any, data: st.DataObject) -> None:
        _aim(case, data, world.known)
        case.call_and_validate(headers=world.staff, checks=CHECKS)

    failures = _fuzz(operations, check)
    assert not failures, "\n\n".join(failures)


def test_another_clinic_never_sees_clinic_a(world: World, operations: list[Any]) -> None:
    known = {**world.known, "clinic_id": [world.clinic_a, world.clinic_b]}

    def check(case: Any, data: st.DataObject) -> None:
        _aim(case, data, known)
        response = case.call(headers=world.outsider)
        assert response.status_code < 500, f"{response.status_code} {response.text}"
        leaked = set(UUID.findall(response.text)) & world.a_ids
        assert not leaked, f"{case.formatted_path} answered {response.status_code} with A's ids {leaked}"

    failures = _fuzz(operations, check)
    assert not failures, "\n\n".join(failures)
