"""WhatsApp webhooks: the subscription handshake and signed notifications (message statuses).

No bearer token: Meta proves itself with the verify token (handshake) and with
``X-Hub-Signature-256``, an HMAC-SHA256 of the raw body under the app secret (notifications).
The signature is checked on the bytes as received, before anything is parsed.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from dishka.integrations.litestar import FromDishka
from litestar import MediaType, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter, RawBody

from adapters.whatsapp.signature import SignatureCheck, check_signature, check_verify_token
from adapters.whatsapp.webhooks import WebhookPayloadInvalid, read_notification
from application.ports.messaging import DeliveryStatuses
from domain.errors import (
    InvalidCredentials,
    ValidationFailed,
    WebhookSignatureInvalid,
    WebhookVerificationFailed,
)
from entrypoints.config import Settings
from entrypoints.http.errors import ErrorOut
from entrypoints.http.openapi import error_responses
from entrypoints.http.schemas import Out

logger = logging.getLogger(__name__)

TAGS = ["webhooks"]
SIGNATURE_HEADER = "X-Hub-Signature-256"
# Meta's challenge is a short number; anything much longer is not a handshake.
_MAX_CHALLENGE = 256


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorOut, description=description, generate_examples=False)


_HANDSHAKE_ERRORS = {
    **error_responses(),
    403: _spec("WEBHOOK_VERIFICATION_FAILED: hub.mode is not subscribe, or hub.verify_token is wrong"),
}
_NOTIFICATION_ERRORS = {
    **error_responses(body=True),
    401: _spec(f"INVALID_CREDENTIALS: no {SIGNATURE_HEADER} header"),
    403: _spec(f"WEBHOOK_SIGNATURE_INVALID: {SIGNATURE_HEADER} does not match the raw body"),
}


class WebhookAckOut(Out):
    statuses: int  # status updates read from the notification
    applied: int  # of those, how many moved a message forward (duplicates and stale ones do not)


@get("/webhooks/whatsapp", tags=TAGS, media_type=MediaType.TEXT, responses=_HANDSHAKE_ERRORS)
async def verify_subscription(
    settings: FromDishka[Settings],
    mode: Annotated[str | None, QueryParameter(name="hub.mode")] = None,
    verify_token: Annotated[str | None, QueryParameter(name="hub.verify_token")] = None,
    challenge: Annotated[str | None, QueryParameter(name="hub.challenge")] = None,
) -> Response[str]:
    """Meta's subscription handshake: echoes ``hub.challenge`` as plain text when ``hub.mode`` is
    ``subscribe`` and ``hub.verify_token`` equals WHATSAPP_WEBHOOK_VERIFY_TOKEN; 403 otherwise."""
    expected = settings.whatsapp.webhook_verify_token
    if (
        mode != "subscribe"
        or not check_verify_token(verify_token, expected)
        or not challenge
        or len(challenge) > _MAX_CHALLENGE
    ):
        raise WebhookVerificationFailed()
    return Response(challenge, media_type=MediaType.TEXT, headers={"X-Content-Type-Options": "nosniff"})


@post("/webhooks/whatsapp", status_code=200, tags=TAGS, responses=_NOTIFICATION_ERRORS)
async def receive_notification(
    request: Request[Any, Any, Any], body: RawBody, settings: FromDishka[Settings]
) -> WebhookAckOut:
    """A signed WhatsApp notification. Status updates (sent, delivered, read, failed) are applied
    to the outbox idempotently and only forward; inbound messages are acknowledged and ignored.
    401 without the signature header, 403 with a wrong one."""
    signature = check_signature(body, request.headers.get(SIGNATURE_HEADER), settings.whatsapp.app_secret)
    if signature is SignatureCheck.MISSING:
        raise InvalidCredentials(f"The {SIGNATURE_HEADER} header is required.")
    if signature is SignatureCheck.INVALID:
        raise WebhookSignatureInvalid(context="whatsapp webhook with a wrong signature")
    try:
        contents = read_notification(body)
    except WebhookPayloadInvalid as error:
        raise ValidationFailed(details={"body": "expected a WhatsApp webhook notification"}) from error
    applied = 0
    if contents.statuses:
        # Resolved only for an authentic notification that carries statuses.
        statuses = await request.state.dishka_container.get(DeliveryStatuses)
        for update in contents.statuses:
            applied += await statuses.apply(update)
    logger.info(
        "whatsapp webhook: %d statuses (%d applied), %d inbound messages ignored",
        len(contents.statuses),
        applied,
        contents.inbound_messages,
    )
    return WebhookAckOut(statuses=len(contents.statuses), applied=applied)


ROUTES = [verify_subscription, receive_notification]
