"""Layered request limits: per client address, per user, per clinic; tighter on /auth.

Each request is counted against every limit that applies to it, in that order, and the first
one exhausted refuses it with 429 RATE_LIMITED, ``Retry-After`` and the ``RateLimit-Policy`` /
``RateLimit`` headers of the IETF draft. Keys are separate, so a noisy client exhausts its own
windows, never a quiet one's. The counters live in Redis on the production profile; when Redis
cannot be reached they fall back to this process's memory (limits stay enforced per process
instead of per fleet) rather than failing every request. There the limiter sits behind the
Redis server's circuit breaker, shared with the cache and the sign-in code store
(adapters/redis/guard.py): once any of them saw Redis time out, the limiter answers
ServiceUnavailable at once, so a frozen Redis costs a request one socket timeout at most, and
only one caller per probe interval pays even that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from litestar import Request

from application.ports.otp import RateDecision, RateLimit, RateLimiter
from application.ports.security import AccessTokens
from domain.errors import DomainError, RateLimited, ServiceUnavailable
from entrypoints.http.request_context import client_ip_of

logger = logging.getLogger(__name__)

AUTH_PREFIX = "/api/v1/auth/"
# Meta's delivery webhooks: authenticated by their signature, and bursty by nature (a campaign's
# statuses arrive together from a few addresses); counting them per address would drop statuses.
EXEMPT_PREFIXES = ("/api/v1/webhooks/",)
HEADERS_KEY = "rate_limit_headers"


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteLimits:
    per_ip: RateLimit
    per_user: RateLimit
    per_clinic: RateLimit
    auth_per_ip: RateLimit


class RequestThrottle:
    """Counts requests in the shared store (Redis); when it fails, in this process (``fallback``).

    Skipping a failed store is the store's breaker's job (see the module's docstring): here every
    limit asks the store, and a store known to be down answers at once.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        fallback: RateLimiter,
        tokens: AccessTokens,
        limits: RouteLimits,
        *,
        enabled: bool,
    ) -> None:
        self._limiter = limiter
        self._fallback = fallback
        self._tokens = tokens
        self._limits = limits
        self._enabled = enabled
        self._degraded = False

    async def check(self, request: Request[Any, Any, Any]) -> None:
        """Count ``request``; raise RateLimited when a limit is exhausted. Sets the RateLimit
        headers of the tightest limit on the request's state for the response."""
        path = request.url.path
        if not self._enabled or not path.startswith("/api/") or path.startswith(EXEMPT_PREFIXES):
            return
        applicable = self._applicable(request)
        decisions = await self._hit_all([(f"req:{name}:{key}", limit) for name, key, limit in applicable])
        counted = [(name, limit, d) for (name, _, limit), d in zip(applicable, decisions, strict=False)]
        if not counted:
            return
        # The limit that refused, if one did (it is the last counted); else the one with least left.
        refused = [c for c in counted if not c[2].allowed]
        tightest = refused[0] if refused else min(counted, key=lambda c: c[2].remaining)
        name, limit, decision = tightest
        request.scope["state"][HEADERS_KEY] = {
            "RateLimit-Policy": f'"{name}";q={limit.amount};w={limit.per_seconds}',
            "RateLimit": f'"{name}";r={decision.remaining};t={int(decision.reset_after + 0.999)}',
        }
        if not decision.allowed:
            raise RateLimited(retry_after=max(1, int(decision.reset_after + 0.999)))

    def _applicable(self, request: Request[Any, Any, Any]) -> list[tuple[str, str, RateLimit]]:
        ip = client_ip_of(request.scope)
        if request.url.path.startswith(AUTH_PREFIX):
            return [("auth-ip", ip, self._limits.auth_per_ip)]
        found = [("ip", ip, self._limits.per_ip)]
        user = self._user_of(request)
        if user is not None:
            found.append(("user", user, self._limits.per_user))
        clinic = request.path_params.get("clinic_id")
        if clinic:
            found.append(("clinic", str(clinic), self._limits.per_clinic))
        return found

    def _user_of(self, request: Request[Any, Any, Any]) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return str(self._tokens.verify(token.strip()).user_id)
        except DomainError:
            return None  # a bad token is refused by authentication, after the address limit

    async def _hit_all(self, hits: list[tuple[str, RateLimit]]) -> list[RateDecision]:
        """Every limit in one call to the store (one round trip to Redis), counted in order up
        to the first that refuses; in this process's memory while the store is unavailable."""
        try:
            decisions = await self._limiter.hit_all(hits)
        except ServiceUnavailable:
            if not self._degraded:
                logger.warning("rate-limit store unavailable: limiting per process until it returns")
                self._degraded = True
            return await self._fallback.hit_all(hits)
        if self._degraded:
            logger.warning("rate-limit store is back")
            self._degraded = False
        return decisions
