"""Sessions over HTTP: refresh rotation, logout refusing the access token at once, /auth/me."""

from __future__ import annotations

from http_api import Api, assert_error

from application.auth.session_tokens import SessionTokens
from application.demo.seed_demo_data import DEMO_CLINIC_ADMIN_EMAIL
from application.ports.clock import Clock
from application.ports.repositories import UserRepository
from application.ports.uow import UnitOfWork
from domain.contact import Email
from entrypoints.bootstrap import as_system


async def sign_in(api: Api, email: str, container=None):
    """What verifying a one-time code does, minus the code. ``container``: one of the test's
    own (pooled PostgreSQL connections belong to the event loop that opened them)."""
    async with (container or api.container)() as request:
        await as_system(request)
        user = await (await request.get(UserRepository)).get_by_email(Email(email))
        tokens = await request.get(SessionTokens)
        pair = await tokens.open(user.id, (await request.get(Clock)).now())
        await (await request.get(UnitOfWork)).commit()
        return pair


async def test_me_refresh_and_logout(api: Api) -> None:
    pair = await sign_in(api, DEMO_CLINIC_ADMIN_EMAIL)
    bearer = {"Authorization": f"Bearer {pair.access_token}"}
    me = await api.client.get("/api/v1/auth/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["user"]["email"] == DEMO_CLINIC_ADMIN_EMAIL
    assert [m["role"] for m in me.json()["memberships"]] == ["CLINIC_ADMIN"]

    refreshed = await api.client.post("/api/v1/auth/refresh", json={"refreshToken": pair.refresh_token})
    assert refreshed.status_code == 200 and refreshed.headers["cache-control"] == "no-store"
    body = refreshed.json()
    assert (
        set(body) == {"accessToken", "refreshToken", "tokenType", "expiresIn"}
        and body["tokenType"] == "Bearer"
    )
    assert_error(
        await api.client.post("/api/v1/auth/refresh", json={"refreshToken": pair.refresh_token}),
        401,
        "INVALID_CREDENTIALS",
    )

    new_bearer = {"Authorization": f"Bearer {body['accessToken']}"}
    assert (await api.client.post("/api/v1/auth/logout", headers=new_bearer)).status_code == 204
    assert_error(await api.client.get("/api/v1/auth/me", headers=new_bearer), 401, "INVALID_CREDENTIALS")
    assert_error(await api.client.get("/api/v1/auth/me", headers=bearer), 401, "INVALID_CREDENTIALS")
    assert_error(
        await api.client.post("/api/v1/auth/refresh", json={"refreshToken": body["refreshToken"]}),
        401,
        "INVALID_CREDENTIALS",
    )


async def test_a_refresh_token_is_not_an_access_token(api: Api) -> None:
    pair = await sign_in(api, DEMO_CLINIC_ADMIN_EMAIL)
    response = await api.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {pair.refresh_token}"}
    )
    assert_error(response, 401, "INVALID_CREDENTIALS")
