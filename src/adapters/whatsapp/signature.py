"""Webhook authenticity: ``X-Hub-Signature-256`` and the subscription verify token."""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

_PREFIX = "sha256="


class SignatureCheck(StrEnum):
    VALID = "valid"
    MISSING = "missing"  # no header at all: the caller did not even try (401)
    INVALID = "invalid"  # a header that does not match, or no secret to match it against (403)


def check_signature(body: bytes, header: str | None, app_secret: str) -> SignatureCheck:
    """Whether ``header`` is ``sha256=<hex HMAC-SHA256 of body keyed by app_secret>``.

    ``body`` must be the request's raw bytes exactly as received: parsing and re-serialising
    changes them. The comparison is constant-time. An empty ``app_secret`` makes every header
    INVALID, since anyone can compute an HMAC under an empty key."""
    if header is None:
        return SignatureCheck.MISSING
    if not app_secret:
        return SignatureCheck.INVALID
    expected = _PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    # Meta sends lower-case hex; anything else, a non-ASCII header included, is simply unequal.
    given = header.encode("utf-8", errors="replace")
    return SignatureCheck.VALID if hmac.compare_digest(given, expected.encode()) else SignatureCheck.INVALID


def check_verify_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison of the subscription handshake's ``hub.verify_token``; an empty
    configured token matches nothing."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
