"""Documenting each route's error responses in the OpenAPI document."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from entrypoints.http.errors import ErrorOut

_DESCRIPTIONS = {
    400: "VALIDATION_ERROR (or INVALID_EMAIL, INVALID_PHONE, INVALID_UUID): the request is not valid",
    401: "INVALID_CREDENTIALS or TOKEN_EXPIRED: no valid bearer token",
    403: "CLINIC_ACCESS_DENIED or INSUFFICIENT_PERMISSIONS",
    404: "*_NOT_FOUND: no such resource in the caller's scope",
    409: "a conflict: *_ALREADY_EXISTS, or VERSION_CONFLICT (a stale If-Match or version)",
    413: "PAYLOAD_TOO_LARGE: the body is over the limit",
    415: "UNSUPPORTED_MEDIA_TYPE: the body is not JSON",
    429: "RATE_LIMITED: too many requests (see Retry-After)",
    500: "INTERNAL_ERROR: an unexpected error, logged with the request id",
    503: "SERVICE_UNAVAILABLE: a dependency is down (see Retry-After)",
}
_ALWAYS = (500, 503)
_WITH_BODY = (400, 413, 415)


def error_responses(*statuses: int, body: bool = False) -> dict[int, ResponseSpec]:
    """Error responses for a route: the given statuses, 500 and 503 always, and the body errors
    (400, 413, 415) for routes that take a body."""
    wanted = set(statuses) | set(_ALWAYS) | (set(_WITH_BODY) if body else set())
    return {
        status: ResponseSpec(
            data_container=ErrorOut, description=_DESCRIPTIONS[status], generate_examples=False
        )
        for status in sorted(wanted)
    }
