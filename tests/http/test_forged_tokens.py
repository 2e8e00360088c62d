"""Every forged or wrong token is 401 at the edge, whatever was changed."""

from __future__ import annotations

import base64
import json
from uuid import UUID

import jwt
import pytest
from http_api import Api, assert_error
from test_sessions_api import sign_in

from application.demo.seed_demo_data import DEMO_ADMIN_EMAIL

FORGERIES = [
    "alg none",
    "wrong key",
    "wrong aud",
    "wrong iss",
    "expired",
    "nbf in future",
    "unknown kid",
    "tampered payload",
    "refresh token as access token",
    "another session's id",
]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_forged_tokens_are_refused(api: Api, forgery: str) -> None:
    pair = await sign_in(api, DEMO_ADMIN_EMAIL)
    good = pair.access_token
    claims = jwt.decode(good, options={"verify_signature": False})
    secret = api.settings.jwt.secret

    def sign(changes: dict, key: str = secret, kid: str = "k1") -> str:
        return jwt.encode({**claims, **changes}, key, algorithm="HS256", headers={"kid": kid})

    head, body, signature = good.split(".")
    token = {
        "alg none": f"{_b64({'alg': 'none', 'kid': 'k1'})}.{body}.",
        "wrong key": sign({}, key="z" * 48),
        "wrong aud": sign({"aud": "another-api"}),
        "wrong iss": sign({"iss": "another-issuer"}),
        "expired": sign({"exp": claims["iat"] - 60, "nbf": claims["iat"] - 120}),
        "nbf in future": sign({"nbf": claims["iat"] + 3600}),
        "unknown kid": sign({}, kid="k9"),
        "tampered payload": f"{head}.{_b64({**claims, 'sub': str(UUID(int=1))})}.{signature}",
        "refresh token as access token": pair.refresh_token,
        "another session's id": sign({"sid": str(UUID(int=7))}),
    }[forgery]
    response = await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    expected = "TOKEN_EXPIRED" if forgery == "expired" else "INVALID_CREDENTIALS"
    assert_error(response, 401, expected)
    assert (
        await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {good}"})
    ).status_code == 200
