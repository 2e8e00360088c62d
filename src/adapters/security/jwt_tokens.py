"""AccessTokens over PyJWT (HS256 for now; the identity issue adds key rings and EdDSA/ES256)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import jwt

from application.ports.clock import Clock
from application.ports.security import AccessTokens, IssuedToken, TokenClaims
from domain.errors import InvalidCredentials, TokenExpired

_REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "nbf", "exp", "jti"]


@dataclass(frozen=True, slots=True, kw_only=True)
class JwtOptions:
    secret: str
    algorithm: str
    issuer: str
    audience: str
    ttl_minutes: int
    leeway_seconds: int


class JwtAccessTokens(AccessTokens):
    """Signs and verifies with one pinned algorithm: the token's own ``alg`` header is never
    trusted to pick it (that is how ``alg: none`` and key-confusion forgeries work)."""

    def __init__(self, options: JwtOptions, clock: Clock) -> None:
        self._options = options
        self._clock = clock

    def issue(self, user_id: UUID, *, ttl_minutes: int | None = None) -> IssuedToken:
        now = self._clock.now()
        ttl = timedelta(minutes=ttl_minutes or self._options.ttl_minutes)
        expires_at = now + ttl
        claims = {
            "iss": self._options.issuer,
            "aud": self._options.audience,
            "sub": str(user_id),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": secrets.token_urlsafe(16),
            "typ": "access",
        }
        token = jwt.encode(claims, self._options.secret, algorithm=self._options.algorithm)
        return IssuedToken(token=token, expires_at=expires_at, expires_in=int(ttl.total_seconds()))

    def verify(self, token: str) -> TokenClaims:
        # PyJWT checks exp/nbf against the wall clock; we check them against our Clock port so
        # tests control time, and let PyJWT verify signature, issuer and audience.
        try:
            claims = jwt.decode(
                token,
                self._options.secret,
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
            token_id=str(claims["jti"]),
            expires_at=self._clock.now() + timedelta(seconds=expires - now),
        )
