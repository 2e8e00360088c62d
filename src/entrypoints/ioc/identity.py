"""Identity providers: where one-time codes live, the rate limiters, and the request throttle."""

from __future__ import annotations

from datetime import timedelta

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cache.breaker import CircuitBreaker
from adapters.memory.otp_store import InMemoryOtpStore
from adapters.ratelimit.limits_limiter import LimitsRateLimiter
from adapters.redis.client import RedisClient
from adapters.redis.guard import GuardedRateLimiter
from adapters.redis.otp_store import RedisOtpStore
from adapters.redis.window_limiter import RedisWindowLimiter
from adapters.sql.otp_store import SqlOtpStore
from application.auth.otp_policy import OtpPolicy
from application.ports.otp import OtpStore, RateLimit, RateLimiter
from application.ports.security import AccessTokens
from entrypoints.config import Settings
from entrypoints.http.rate_limits import RequestThrottle, RouteLimits


class IdentityPolicyProvider(Provider):
    scope = Scope.APP

    @provide
    def otp_policy(self, settings: Settings) -> OtpPolicy:
        limits = settings.rate_limit
        return OtpPolicy(
            resend_cooldown=RateLimit(1, limits.otp_resend_cooldown_seconds),
            per_identity=RateLimit(limits.otp_requests_per_hour, 3600),
            per_client_ip=RateLimit(limits.otp_requests_per_ip_per_hour, 3600),
            lock_for=timedelta(minutes=limits.otp_lock_minutes),
            self_registration=settings.security.patient_self_registration,
        )

    @provide
    def throttle(self, settings: Settings, limiter: RateLimiter, tokens: AccessTokens) -> RequestThrottle:
        limits = settings.rate_limit
        return RequestThrottle(
            limiter,
            LimitsRateLimiter.in_memory(),
            tokens,
            RouteLimits(
                per_ip=RateLimit(limits.requests_per_minute, 60),
                per_user=RateLimit(limits.user_requests_per_minute, 60),
                per_clinic=RateLimit(limits.clinic_requests_per_minute, 60),
                auth_per_ip=RateLimit(limits.auth_requests_per_minute, 60),
            ),
            enabled=limits.enabled,
        )


class InProcessIdentityProvider(Provider):
    """Memory profile: codes and counters in this process."""

    scope = Scope.APP

    @provide
    def otp_store(self) -> OtpStore:
        return InMemoryOtpStore()

    @provide
    def limiter(self) -> RateLimiter:
        return LimitsRateLimiter.in_memory()


class SqlIdentityProvider(Provider):
    """Embedded profile: codes in the database (they survive a restart), counters in memory."""

    scope = Scope.APP

    @provide
    def otp_store(self, sessions: async_sessionmaker[AsyncSession]) -> OtpStore:
        return SqlOtpStore(sessions)

    @provide
    def limiter(self) -> RateLimiter:
        return LimitsRateLimiter.in_memory()


class RedisIdentityProvider(Provider):
    """Production profile: codes and counters in Redis, shared by every process, behind the
    server's circuit breaker (entrypoints/ioc/cache.py) that the cache shares."""

    scope = Scope.APP

    # Under the cache's key prefix like every other key: deployments sharing one server must not
    # share sign-in codes or request counters.
    @provide
    def otp_store(self, client: RedisClient, settings: Settings, breaker: CircuitBreaker) -> OtpStore:
        return RedisOtpStore(client, prefix=f"{settings.cache.key_prefix}:otp", breaker=breaker)

    @provide
    def limiter(self, client: RedisClient, settings: Settings, breaker: CircuitBreaker) -> RateLimiter:
        return GuardedRateLimiter(
            RedisWindowLimiter(client, prefix=f"{settings.cache.key_prefix}:rl"), breaker
        )
