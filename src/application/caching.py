"""Caching for query use cases: the ``cached`` decorator, and invalidation after commit.

A query use case holds a QueryCache in its ``cache`` attribute and marks the method that reads
from its repositories::

    @cached("clinic:{clinic_id}", policy=SEMI_STATIC, tags=("clinic:{clinic_id}",))
    async def load(self, clinic_id: UUID) -> Clinic | None:
        return await self._clinics.get(clinic_id)

The key and tags are templates over the method's arguments (``{query.clinic_id}`` reaches into
a query object; ``{email!h}`` puts a keyed hash in place of a value a person could be
recognised by). The method's return annotation is what cached values decode to. Access is never
checked inside: the caller checks it on the returned object, on every call, hit or miss.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import inspect
import logging
import string
import typing
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from application.ports.cache import (
    FREQUENT,
    Cache,
    CachePolicy,
    CacheStats,
    Compliance,
    DetachedReads,
    Loader,
)
from application.ports.uow import CommitListener
from domain.audit import AuditEntry, Outcome

T = TypeVar("T")
M = TypeVar("M", bound=Callable[..., Awaitable[Any]])
logger = logging.getLogger(__name__)
MAX_PLANS = 4096  # per decorated method: keys and policies of recent arguments


@dataclass(frozen=True, slots=True)
class QueryCache:
    """What a cached use case holds: the cache, how to refresh outside the caller's request
    (None: with the caller's own loader, fine for in-memory repositories), and the key that
    hashes ``!h`` key parts (the same in every process)."""

    cache: Cache
    detached: DetachedReads | None = None
    key_secret: bytes = b""

    def hashed(self, value: object) -> str:
        return hmac.new(self.key_secret, str(value).encode(), hashlib.sha256).hexdigest()[:32]


class NoCache(Cache):
    """Caches nothing: every call runs its loader. For use cases built without a cache."""

    async def get_or_load(
        self,
        key: str,
        loader: Loader[T],
        policy: CachePolicy,
        *,
        returns: type[T],
        refresh: Loader[T] | None = None,
    ) -> T | None:
        return await loader()

    async def get(self, key: str, *, returns: type[T]) -> T | None:
        return None

    async def set(self, key: str, value: T, policy: CachePolicy) -> None:
        return None

    async def delete(self, *keys: str) -> None:
        return None

    async def invalidate_tags(self, *tags: str) -> None:
        return None

    def stats(self) -> CacheStats:
        return CacheStats()


UNCACHED = QueryCache(NoCache())


def cached(
    key: str,
    *,
    policy: CachePolicy = FREQUENT,
    ttl: float | None = None,
    stale_time: float | None = None,
    tags: Sequence[str] = (),
    compress: bool | None = None,
    phi: bool = False,
    compliance: Compliance | None = None,
    via: str = "cache",
) -> Callable[[M], M]:
    """Cache what the decorated method returns, under ``policy`` with these overrides. ``phi``
    marks the value as health information (``sensitive``: encrypted before it leaves the
    process) unless ``compliance`` says otherwise. ``via`` names the QueryCache attribute."""
    level = compliance or (Compliance.SENSITIVE if phi else policy.compliance)
    base = CachePolicy(
        ttl=policy.ttl if ttl is None else ttl,
        stale_time=policy.stale_time if stale_time is None and ttl is None else stale_time,
        compress=policy.compress if compress is None else compress,
        compliance=level,
    )

    def decorate(method: M) -> M:
        spec = _Spec(method, key, tuple(tags), base)

        @functools.wraps(method)
        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            query_cache: QueryCache = getattr(self, via)
            call_key, call_policy = spec.plan(args, kwargs, query_cache)
            detached = query_cache.detached
            refresh = None if detached is None else _detached(detached, type(self), method, args, kwargs)
            return await query_cache.cache.get_or_load(
                call_key,
                lambda: method(self, *args, **kwargs),
                call_policy,
                returns=spec.returns(),
                refresh=refresh,
            )

        wrapper.__dict__["cache_templates"] = (key, tuple(tags))  # for the key rules' test
        return cast(M, wrapper)

    return decorate


def _detached(
    detached: DetachedReads, owner: type, method: Callable[..., Awaitable[Any]], args: Any, kwargs: Any
) -> Loader[Any]:
    """The same read on a fresh instance of ``owner``, outside the caller's request."""
    return lambda: detached.run(owner, lambda fresh: method(fresh, *args, **kwargs))


class _Spec:
    """What ``cached`` works out once per method (argument names, templates, the return type),
    and the key and policy of recent arguments: a hit then costs one dict lookup, not formatting."""

    def __init__(
        self, method: Callable[..., Any], key: str, tags: tuple[str, ...], base: CachePolicy
    ) -> None:
        parameters = list(inspect.signature(method).parameters.values())[1:]  # without self
        self._method = method
        self._names = tuple(p.name for p in parameters)
        self._defaults = {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}
        self._key, self._tags, self._base = key, tags, base
        self._hashing = any("!h" in t for t in (key, *tags))
        self._plans: dict[Any, tuple[str, CachePolicy]] = {}
        self._returns: Any = None

    def plan(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], query_cache: QueryCache
    ) -> tuple[str, CachePolicy]:
        memo: Any = (args, tuple(kwargs.items())) if kwargs else args
        if self._hashing:
            memo = (memo, query_cache.key_secret)
        try:
            known = self._plans.get(memo)
        except TypeError:  # an unhashable argument: work it out every time
            return self._work_out(args, kwargs, query_cache)
        if known is None:
            if len(self._plans) >= MAX_PLANS:
                self._plans.clear()
            known = self._plans[memo] = self._work_out(args, kwargs, query_cache)
        return known

    def returns(self) -> Any:
        if self._returns is None:  # resolved at first call: every name it uses exists by then
            self._returns = typing.get_type_hints(self._method)["return"]
        return self._returns

    def _work_out(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], query_cache: QueryCache
    ) -> tuple[str, CachePolicy]:
        values = {**self._defaults, **dict(zip(self._names, args, strict=False)), **kwargs}
        formatter = _HashingFormatter(query_cache) if self._hashing else None

        def format(template: str) -> str:
            return (
                template.format_map(values) if formatter is None else formatter.vformat(template, (), values)
            )

        tags = tuple(format(t) for t in self._tags)
        return format(self._key), self._base.tagged(*tags) if tags else self._base


class _HashingFormatter(string.Formatter):
    def __init__(self, query_cache: QueryCache) -> None:
        self._query_cache = query_cache

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "h":
            return self._query_cache.hashed(value)
        return super().convert_field(value, conversion)


# Audited reads: they wrote nothing, so they invalidate nothing.
READ_ACTIONS = ("VIEW_", "EXPORT_")


def tags_written(entries: Iterable[AuditEntry]) -> tuple[str, ...]:
    """The cache tags of what a unit wrote, from its audit entries. Reads (``VIEW_*``) and refused
    attempts wrote nothing. Every read of a clinic's data carries ``clinic:<id>``."""
    tags: list[str] = []
    for entry in entries:
        if entry.outcome is Outcome.DENIED or entry.action.startswith(READ_ACTIONS):
            continue
        kind, rid, clinic = entry.resource_type, entry.resource_id, entry.clinic_id
        if kind == "clinic":
            tags.append(f"clinic:{rid}")
        elif kind == "location":
            tags += [f"location:{rid}", *([f"locations:{clinic}"] if clinic else [])]
        elif kind == "user":
            tags.append(f"user:{rid}")
        elif kind == "membership":  # its resource id is the member's user id
            tags += [f"memberships:{rid}", *([f"members:{clinic}"] if clinic else [])]
        elif kind == "patient":  # a record written, deleted or purged
            tags.append(f"patient:{rid}")
        elif kind == "doctor":  # profile, schedule and time off: availability is tagged doctor:<id>
            tags += [f"doctor:{rid}", *([f"doctors:{clinic}"] if clinic else [])]
        elif kind == "appointment":  # its doctor's availability comes by UnitOfWork.touch
            tags.append(f"appointment:{rid}")
        elif kind == "prescription":  # a correction touches the version it supersedes as well
            tags.append(f"prescription:{rid}")
        elif kind == "session" and entry.action != "SIGN_IN":  # ended: refused from now on
            tags.append(f"session:{rid}")
    return tuple(dict.fromkeys(tags))


class CacheInvalidator(CommitListener):
    """After every commit, invalidates the tags of what the unit wrote, in every process."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def committed(self, entries: Sequence[AuditEntry], touched: Sequence[str] = ()) -> None:
        tags = tuple(dict.fromkeys((*tags_written(entries), *touched)))
        if not tags:
            return
        try:
            await self._cache.invalidate_tags(*tags)
        except Exception:  # the commit has happened; the entries expire by their ttl at worst
            logger.exception("Cache invalidation after commit failed")
