"""The one place errors become HTTP responses.

Every error leaves as ``{"error": {"code", "message", "timestamp", "requestId", "details"?}}``,
with the status from STATUS_BY_CATEGORY. Framework errors (unknown route, wrong method, a body
that does not decode, a body too large) are first translated into our own domain errors, so
they share the table. Anything unexpected is a 500 INTERNAL_ERROR, logged with its traceback and
request id; the client sees neither the traceback nor the exception's text.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)

from domain.errors import (
    DomainError,
    ErrorCategory,
    InternalError,
    MethodNotAllowed,
    PayloadTooLarge,
    ResourceNotFound,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from entrypoints.http.request_context import request_id_of

logger = logging.getLogger(__name__)

STATUS_BY_CATEGORY: dict[ErrorCategory, int] = {
    ErrorCategory.AUTHENTICATION: 401,
    ErrorCategory.AUTHORIZATION: 403,
    ErrorCategory.NOT_FOUND: 404,
    ErrorCategory.METHOD_NOT_ALLOWED: 405,
    ErrorCategory.CONFLICT: 409,
    ErrorCategory.VALIDATION: 400,
    ErrorCategory.PAYLOAD_TOO_LARGE: 413,
    ErrorCategory.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCategory.RATE_LIMITED: 429,
    ErrorCategory.UNAVAILABLE: 503,
    ErrorCategory.INTERNAL: 500,
}
FALLBACK_STATUS = 500
DEFAULT_RETRY_AFTER = {ErrorCategory.RATE_LIMITED: 60, ErrorCategory.UNAVAILABLE: 5}


class ErrorBody(msgspec.Struct, rename="camel", omit_defaults=True):
    code: str
    message: str
    timestamp: str
    request_id: str
    details: dict[str, Any] | None = None


class ErrorOut(msgspec.Struct):
    """The error envelope every failing response carries."""

    error: ErrorBody


def status_of(error: DomainError) -> int:
    return STATUS_BY_CATEGORY.get(error.category, FALLBACK_STATUS)


def error_response(
    error: DomainError, request_id: str, headers: dict[str, str] | None = None
) -> Response[ErrorOut]:
    body = ErrorOut(
        error=ErrorBody(
            code=error.code,
            message=error.message,
            timestamp=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            request_id=request_id,
            details=error.details or None,
        )
    )
    headers = dict(headers or {})
    retry_after = error.retry_after or DEFAULT_RETRY_AFTER.get(error.category)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(body, status_code=status_of(error), media_type=MediaType.JSON, headers=headers)


# msgspec's messages name the field and the expected type, never the value sent; keep just that.
_AT_PATH = re.compile(r"\s*-\s*at `\$(?:\.(?P<path>[^`]*))?`")


def _validation_details(exc: ValidationException) -> dict[str, Any]:
    details: dict[str, Any] = {}
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        text = str(item.get("message", "invalid value"))
        match = _AT_PATH.search(text)
        key = str(item.get("key") or (match and match.group("path")) or "body")
        details[key] = _AT_PATH.sub("", text)[:200]
    if not details and exc.detail:
        details["body"] = _AT_PATH.sub("", exc.detail)[:200]
    return details


def translate(exc: Exception) -> DomainError:
    """Our own error for anything raised while handling a request."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, NotFoundException):
        return ResourceNotFound()
    if isinstance(exc, MethodNotAllowedException):
        return MethodNotAllowed()
    if isinstance(exc, ValidationException):
        return ValidationFailed(details=_validation_details(exc))
    if isinstance(exc, HTTPException) and exc.status_code == 415:
        return UnsupportedMediaType()
    if isinstance(exc, HTTPException) and exc.status_code == 413:
        return PayloadTooLarge()
    if isinstance(exc, HTTPException) and exc.status_code == 503:
        return ServiceUnavailable()
    if isinstance(exc, HTTPException) and 400 <= exc.status_code < 500:
        return ValidationFailed()
    return InternalError()


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorOut]:
    request_id = request_id_of(request.scope)
    error = translate(exc)
    if isinstance(error, InternalError):
        logger.error("unhandled error (request %s)", request_id, exc_info=exc)
    elif error.context:
        logger.info("%s (request %s): %s", error.code, request_id, error.context)
    headers = (
        {"Allow": exc.headers["allow"]}
        if isinstance(exc, MethodNotAllowedException) and exc.headers and "allow" in exc.headers
        else None
    )
    return error_response(error, request_id, headers)
