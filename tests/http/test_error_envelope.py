"""Every bad input gets the JSON envelope with a stable code; nothing internal leaks."""

from __future__ import annotations

import logging
from pathlib import Path

from dishka import Provider, Scope, provide
from http_api import Api, assert_error, embedded_settings, open_api

from application.clinics.get_clinic import GetClinic
from domain.errors import RateLimited
from entrypoints.http.errors import error_response

CLINIC = {"name": "Harbour Clinic", "timeZone": "Europe/Lisbon"}


async def test_unknown_route_is_not_found(api: Api) -> None:
    assert_error(await api.client.get("/api/v1/nothing-here"), 404, "NOT_FOUND")


async def test_wrong_method_is_method_not_allowed(api: Api) -> None:
    assert_error(
        await api.client.delete("/api/v1/clinics", headers=await api.super_admin()), 405, "METHOD_NOT_ALLOWED"
    )


async def test_malformed_json_is_a_validation_error(api: Api) -> None:
    headers = {**await api.super_admin(), "Content-Type": "application/json"}
    response = await api.client.post("/api/v1/clinics", content=b'{"name": "x", ', headers=headers)
    assert_error(response, 400, "VALIDATION_ERROR")


async def test_wrong_types_name_the_field_without_echoing_the_value(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/clinics", json={"name": 12345678, "timeZone": "UTC"}, headers=await api.super_admin()
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "name" in str(error["details"])
    assert "12345678" not in response.text


async def test_missing_fields_are_a_validation_error(api: Api) -> None:
    response = await api.client.post("/api/v1/clinics", json={"name": "x"}, headers=await api.super_admin())
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "timeZone" in str(error["details"])


async def test_unknown_fields_are_refused_and_nothing_changes(api: Api) -> None:
    headers = await api.super_admin()
    before = (await api.client.get("/api/v1/clinics", headers=headers)).json()["items"]
    for extra in (
        {"clinicId": "0192f5e0-7c1a-7cc3-9d2e-6f1b2a3c4d5e"},
        {"role": "SUPER_ADMIN"},
        {"id": "x"},
        {"createdBy": "me"},
    ):
        response = await api.client.post("/api/v1/clinics", json={**CLINIC, **extra}, headers=headers)
        assert_error(response, 400, "VALIDATION_ERROR")
    assert (await api.client.get("/api/v1/clinics", headers=headers)).json()["items"] == before


async def test_body_over_the_limit_is_payload_too_large(tmp_path: Path) -> None:
    async for api in open_api(embedded_settings(tmp_path, APP_BODY_LIMIT_BYTES="64")):
        body = b'{"name": "' + b"x" * 60 + b'", "timeZone": "UTC"}'
        headers = {**await api.super_admin(), "Content-Type": "application/json"}
        assert_error(
            await api.client.post("/api/v1/clinics", content=body, headers=headers), 413, "PAYLOAD_TOO_LARGE"
        )


async def test_non_json_body_is_unsupported_media_type(api: Api) -> None:
    headers = {**await api.super_admin(), "Content-Type": "text/plain"}
    response = await api.client.post("/api/v1/clinics", content=b"name=x", headers=headers)
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_an_id_that_is_not_a_uuid_is_invalid_uuid(api: Api) -> None:
    headers = await api.super_admin()
    error = assert_error(
        await api.client.get("/api/v1/clinics/not-a-uuid", headers=headers), 400, "INVALID_UUID"
    )
    assert "clinicId" in error["details"]
    assert_error(await api.client.get("/api/v1/users/123", headers=headers), 400, "INVALID_UUID")


async def test_missing_or_wrong_token_is_invalid_credentials(api: Api) -> None:
    assert_error(await api.client.get("/api/v1/clinics"), 401, "INVALID_CREDENTIALS")
    assert_error(
        await api.client.get("/api/v1/clinics", headers={"Authorization": "Basic abc"}),
        401,
        "INVALID_CREDENTIALS",
    )
    bad = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."}
    assert_error(await api.client.get("/api/v1/clinics", headers=bad), 401, "INVALID_CREDENTIALS")


async def test_expired_token_is_token_expired(api: Api) -> None:
    import jwt

    token = await api.token("admin@demo.clinic", ttl_minutes=1)
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = claims["iat"] - 3600
    expired = jwt.encode(claims, api.settings.jwt.secret, algorithm="HS256", headers={"kid": "k1"})
    response = await api.client.get("/api/v1/clinics", headers={"Authorization": f"Bearer {expired}"})
    assert_error(response, 401, "TOKEN_EXPIRED")


async def test_request_id_is_echoed_or_generated(api: Api) -> None:
    echoed = await api.client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await api.client.get("/health/live", headers={"X-Request-ID": "bad id with spaces!"})
    assert generated.headers["x-request-id"] not in ("", "bad id with spaces!")
    error = assert_error(
        await api.client.get("/nope", headers={"X-Request-ID": "trace-42"}), 404, "NOT_FOUND"
    )
    assert error["requestId"] == "trace-42"


class Exploding:
    async def __call__(self, *args: object) -> None:
        raise RuntimeError("SELECT ssn FROM patients WHERE name = 'Jane Doe'")


class ExplodingGetClinic(Provider):
    @provide(scope=Scope.REQUEST)
    def get_clinic(self) -> GetClinic:
        return Exploding()  # type: ignore[return-value]


async def test_unexpected_error_is_internal_error_logged_with_request_id(tmp_path: Path, caplog) -> None:
    async for api in open_api(embedded_settings(tmp_path), ExplodingGetClinic()):
        clinic_id = await api.demo_clinic_id()
        with caplog.at_level(logging.ERROR):
            response = await api.client.get(
                f"/api/v1/clinics/{clinic_id}", headers={**await api.super_admin(), "X-Request-ID": "boom-1"}
            )
        assert_error(response, 500, "INTERNAL_ERROR")
        assert "SELECT" not in response.text and "Jane" not in response.text
        logged = [r for r in caplog.records if "boom-1" in r.getMessage()]
        assert logged and logged[0].exc_info is not None


def test_rate_limited_and_unavailable_carry_retry_after() -> None:
    response = error_response(RateLimited(), "r1")
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
