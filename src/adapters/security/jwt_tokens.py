"""AccessTokens over PyJWT: one pinned algorithm (HS256, EdDSA or ES256) and a key ring by ``kid``."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

import jwt

from application.ports.clock import Clock
from application.ports.security import AccessTokens, IssuedToken, TokenClaims
from domain.errors import InvalidCredentials, TokenExpired

_REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "nbf", "exp", "jti"]


@dataclass(frozen=True, slots=True, kw_only=True)
class JwtOptions:
    """``signing_key`` signs new tokens under ``key_id``: the HS256 secret, or a PEM private key
    for EdDSA and ES256. ``retired_keys`` (kid -> HS256 secret or PEM public key) still verify,
    so keys rotate without refusing tokens issued before the rotation."""

    signing_key: str
    algorithm: str
    issuer: str
    audience: str
    ttl_minutes: int
    leeway_seconds: int
    key_id: str = "k1"
    retired_keys: Mapping[str, str] = field(default_factory=dict)


class JwtAccessTokens(AccessTokens):
    """Signs and verifies with one pinned algorithm: the token's own ``alg`` header is never
    trusted to pick it (that is how ``alg: none`` and key-confusion forgeries work), and its
    ``kid`` only picks among our own keys; an unknown ``kid`` is refused."""

    def __init__(self, options: JwtOptions, clock: Clock) -> None:
        self._options = options
        self._clock = clock
        self._verifying: dict[str, Any] = {
            kid: self._public(key) for kid, key in options.retired_keys.items()
        }
        self._verifying[options.key_id] = self._public(options.signing_key)

    def issue(
        self, user_id: UUID, *, session_id: UUID | None = None, ttl_minutes: int | None = None
    ) -> IssuedToken:
        now = self._clock.now()
        ttl = timedelta(minutes=ttl_minutes or self._options.ttl_minutes)
        expires_at = now + ttl
        claims: dict[str, Any] = {
            "iss": self._options.issuer,
            "aud": self._options.audience,
            "sub": str(user_id),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": secrets.token_urlsafe(16),
            "typ": "access",
        }
        if session_id is not None:
            claims["sid"] = str(session_id)
        token = jwt.encode(
            claims,
            self._options.signing_key,
            algorithm=self._options.algorithm,
            headers={"kid": self._options.key_id},
        )
        return IssuedToken(token=token, expires_at=expires_at, expires_in=int(ttl.total_seconds()))

    def verify(self, token: str) -> TokenClaims:
        # PyJWT checks exp/nbf against the wall clock; we check them against our Clock port so
        # tests control time, and let PyJWT verify signature, issuer and audience.
        try:
            key = self._verifying.get(str(jwt.get_unverified_header(token).get("kid")))
            if key is None:
                raise InvalidCredentials()
            claims = jwt.decode(
                token,
                key,
                algorithms=[self._options.algorithm],
                audience=self._options.audience,
                issuer=self._options.issuer,
                options={
                    "require": _REQUIRED_CLAIMS,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            user_id = UUID(claims["sub"])
            session_id = UUID(claims["sid"]) if "sid" in claims else None
            expires, not_before = int(claims["exp"]), int(claims["nbf"])
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            raise InvalidCredentials() from None
        if claims.get("typ") != "access":
            raise InvalidCredentials()
        now = self._clock.now().timestamp()
        if now > expires + self._options.leeway_seconds:
            raise TokenExpired()
        if now + self._options.leeway_seconds < not_before:
            raise InvalidCredentials()
        return TokenClaims(
            user_id=user_id,
            session_id=session_id,
            token_id=str(claims["jti"]),
            expires_at=self._clock.now() + timedelta(seconds=expires - now),
        )

    def _public(self, key: str) -> Any:
        """The verifying half: the secret itself for HS256, the public key of a private PEM."""
        if self._options.algorithm == "HS256" or "PRIVATE KEY" not in key:
            return key
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        return load_pem_private_key(key.encode(), password=None).public_key()
