"""Graph API error codes -> what the relay should do (a SendFailure subclass).

Classified by the Graph ``error.code``, never by the HTTP status: Graph answers 400 for a throttle
and 500 for a bad parameter often enough. The HTTP status and Graph's own ``is_transient`` hint
only decide codes this table does not know.

Sources: the Cloud API error-code reference and pywa's error table (david-lev/pywa, errors.py).
"""

from __future__ import annotations

from application.ports.messaging import (
    ChannelThrottled,
    ChannelUnauthorized,
    PermanentSendFailure,
    RecipientThrottled,
    SendFailure,
    TransientSendFailure,
)

TRANSIENT_CODES = frozenset(
    {
        1,  # unknown API error
        2,  # API service temporarily unavailable
        131000,  # something went wrong
        131016,  # service unavailable
        131057,  # business account in maintenance mode
        133004,  # server temporarily unavailable
    }
)
# The whole sending number is over a limit: back off globally.
THROTTLED_CODES = frozenset(
    {
        4,  # application request limit
        17,  # user request limit
        613,  # calls to this API exceeded the rate limit
        80007,  # business account rate limit
        130429,  # Cloud API throughput reached
        131048,  # spam rate limit on the sending number
    }
)
RECIPIENT_THROTTLED_CODES = frozenset({131056})  # too many messages to this one recipient (pair limit)
# Nothing will send until an operator acts (token, permissions, account standing, payment):
# pause the channel and keep messages pending instead of failing each of them.
UNAUTHORIZED_CODES = frozenset(
    {
        0,  # authentication exception
        3,  # capability or permissions issue
        10,  # permission denied
        190,  # access token expired or invalid
        368,  # account temporarily blocked for a policy violation
        131005,  # access denied
        131031,  # business account locked
        131042,  # business payment issue
        131045,  # phone number registration (certificate) error
        133010,  # sending phone number not registered
        *range(200, 300),  # API permission
    }
)
# This message, as it is, can never be sent.
PERMANENT_CODES = frozenset(
    {
        100,  # invalid parameter
        131008,  # required parameter missing
        131009,  # parameter value not valid
        131021,  # recipient cannot be the sender
        131026,  # message undeliverable (not a WhatsApp user, old client, terms not accepted)
        131030,  # recipient not in the test number's allowed list
        131047,  # re-engagement: outside the 24-hour window
        131051,  # unsupported message type
        131052,  # media download error
        131053,  # media upload error
        132000,  # template parameter count mismatch
        132001,  # template does not exist (in that language) or is not approved
        132005,  # template text too long after substitution
        132007,  # template format character policy violated
        132008,  # template parameter format mismatch
        132012,  # template parameter format mismatch
        132015,  # template paused for low quality
        132016,  # template disabled
        132068,  # flow blocked
        132069,  # flow throttled
        135000,  # generic user error
    }
)

# WhatsApp allows about one message every 6 seconds to one recipient.
RECIPIENT_RETRY_AFTER_SECONDS = 6.0


def failure_class(
    code: int | None, *, is_transient: bool | None = None, http_status: int | None = None
) -> type[SendFailure]:
    """The SendFailure subclass for a Graph error ``code``. Unknown codes follow Graph's
    ``is_transient`` hint, then the HTTP status (5xx transient, other 4xx permanent); no code at
    all (a malformed answer) is transient."""
    if code is None:
        return TransientSendFailure
    for codes, kind in (
        (TRANSIENT_CODES, TransientSendFailure),
        (THROTTLED_CODES, ChannelThrottled),
        (RECIPIENT_THROTTLED_CODES, RecipientThrottled),
        (UNAUTHORIZED_CODES, ChannelUnauthorized),
        (PERMANENT_CODES, PermanentSendFailure),
    ):
        if code in codes:
            return kind
    if is_transient or http_status is None or http_status >= 500 or http_status == 429:
        return TransientSendFailure
    return PermanentSendFailure


def failure_for(
    code: int | None,
    title: str,
    *,
    is_transient: bool | None = None,
    http_status: int | None = None,
    retry_after_seconds: float | None = None,
) -> SendFailure:
    """The SendFailure to raise; ``reason`` is ``graph <code>: <title>`` (no message content)."""
    kind = failure_class(code, is_transient=is_transient, http_status=http_status)
    if kind is RecipientThrottled and retry_after_seconds is None:
        retry_after_seconds = RECIPIENT_RETRY_AFTER_SECONDS
    reason = f"graph {code}: {title}" if code is not None else title
    return kind(reason[:300], retry_after_seconds=retry_after_seconds)
