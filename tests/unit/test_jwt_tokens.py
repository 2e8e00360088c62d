"""Access tokens: what verifies, and every forgery that must not."""

from __future__ import annotations

import base64
import json
from uuid import uuid4

import jwt
import pytest

from adapters.security.jwt_tokens import JwtAccessTokens, JwtOptions
from domain.errors import InvalidCredentials, TokenExpired

SECRET = "a-test-secret-that-is-long-enough-for-hs512-too-0123456789abcdef"
OPTIONS = JwtOptions(
    secret=SECRET, algorithm="HS256", issuer="iss-x", audience="aud-x", ttl_minutes=15, leeway_seconds=0
)


@pytest.fixture
def tokens(clock) -> JwtAccessTokens:
    return JwtAccessTokens(OPTIONS, clock)


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_issued_token_verifies(tokens: JwtAccessTokens) -> None:
    user = uuid4()
    issued = tokens.issue(user)
    assert tokens.verify(issued.token).user_id == user
    assert issued.expires_in == 15 * 60
    assert {"iss", "aud", "sub", "iat", "nbf", "exp", "jti"} <= claims_of(issued.token).keys()


def test_expired_token_is_token_expired(tokens: JwtAccessTokens, clock) -> None:
    issued = tokens.issue(uuid4(), ttl_minutes=1)
    clock.advance(seconds=59)
    tokens.verify(issued.token)
    clock.advance(seconds=2)
    with pytest.raises(TokenExpired):
        tokens.verify(issued.token)


def _forge(tokens: JwtAccessTokens, clock, **changes) -> str:
    claims = claims_of(tokens.issue(uuid4()).token)
    key = changes.pop("key", SECRET)
    algorithm = changes.pop("algorithm", "HS256")
    claims.update(changes)
    return jwt.encode(claims, key, algorithm=algorithm)


def _alg_none(tokens: JwtAccessTokens) -> str:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
    body = tokens.issue(uuid4()).token.split(".")[1]
    return f"{header.decode()}.{body}."


def _tampered(tokens: JwtAccessTokens) -> str:
    head, body, sig = tokens.issue(uuid4()).token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = str(uuid4())
    new_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{new_body}.{sig}"


@pytest.mark.parametrize(
    "forgery",
    [
        "wrong key",
        "wrong aud",
        "wrong iss",
        "nbf in future",
        "no exp",
        "alg none",
        "tampered",
        "garbage",
        "HS512",
        "not access",
    ],
)
def test_forgeries_are_invalid_credentials(tokens: JwtAccessTokens, clock, forgery: str) -> None:
    now = int(clock.now().timestamp())
    token = {
        "wrong key": lambda: _forge(tokens, clock, key="another-secret-that-is-long-enough-0123456789"),
        "wrong aud": lambda: _forge(tokens, clock, aud="someone-else"),
        "wrong iss": lambda: _forge(tokens, clock, iss="someone-else"),
        "nbf in future": lambda: _forge(tokens, clock, nbf=now + 600),
        "no exp": lambda: jwt.encode(
            {k: v for k, v in claims_of(tokens.issue(uuid4()).token).items() if k != "exp"}, SECRET
        ),
        "alg none": lambda: _alg_none(tokens),
        "tampered": lambda: _tampered(tokens),
        "garbage": lambda: "not.a.token",
        "HS512": lambda: _forge(tokens, clock, algorithm="HS512"),
        "not access": lambda: _forge(tokens, clock, typ="refresh"),
    }[forgery]()
    with pytest.raises(InvalidCredentials):
        tokens.verify(token)
