"""Bearer authentication: the request's Authorization header becomes the use cases' Actor."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

from dishka import Provider, Scope, provide
from litestar import Request

from application.auth.authenticate import Authenticate
from domain.access import Actor
from domain.errors import InvalidCredentials
from entrypoints.http.request_context import client_ip_of, request_id_of
from entrypoints.observability import context as log_context


def bearer_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidCredentials()
    return token.strip()


class ActorProvider(Provider):
    """Resolves the Actor once per request, only for handlers that ask for one."""

    @provide(scope=Scope.REQUEST)
    async def actor(self, request: Request, authenticate: Authenticate) -> Actor:  # type: ignore[type-arg]
        actor = await authenticate(bearer_token(request), request_id=request_id_of(request.scope))
        # Log lines of the rest of the request name who and which clinic (the request context
        # resets both when the request ends).
        log_context.user_id.set(str(actor.user_id))
        log_context.clinic_id.set(clinic_of(request))
        # The address the request context resolved (trusted proxies only), for the audit trail.
        return dataclasses.replace(actor, client_ip=client_ip_of(request.scope))


def clinic_of(request: Request[Any, Any, Any]) -> str | None:
    """The clinic a request is about (path, then query), when it is a well-formed id: nothing a
    caller typed that is not an id ever reaches a log line."""
    value = request.path_params.get("clinic_id") or request.query_params.get("clinicId")
    try:
        return str(UUID(str(value))) if value else None
    except ValueError:
        return None
