"""MessageChannel over the WhatsApp Cloud API (Graph API) with httpx."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
import msgspec

from adapters.whatsapp.errors import failure_for
from adapters.whatsapp.pacing import Pacer
from adapters.whatsapp.payloads import GraphReply, TemplateNames, template_message
from application.ports.messaging import (
    Delivery,
    MessageChannel,
    OutcomeUnknown,
    PermanentSendFailure,
    SendFailure,
    TransientSendFailure,
)
from domain.messaging import Channel, OutboundMessage

logger = logging.getLogger(__name__)

_ENCODER = msgspec.json.Encoder()
_REPLY = msgspec.json.Decoder(GraphReply)

# Failures before the request can have reached Graph: sending again cannot duplicate anything.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)
# Failures after the request left: Graph may have accepted it, so it must not be resent blindly.
_MAYBE_SENT = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatsAppOptions:
    api_url: str
    api_version: str
    access_token: str
    phone_number_id: str
    templates: TemplateNames
    messages_per_second: float
    connect_timeout_seconds: float = 3.0
    request_timeout_seconds: float = 10.0

    @property
    def messages_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/{self.api_version}/{self.phone_number_id}/messages"


def create_http_client(options: WhatsAppOptions) -> httpx.AsyncClient:
    """One pooled client for the channel's lifetime; the caller closes it (``aclose``)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(options.request_timeout_seconds, connect=options.connect_timeout_seconds),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        # Graph is reached directly; an ambient proxy setting must not reroute message content.
        trust_env=False,
    )


class WhatsAppCloudChannel(MessageChannel):
    """MessageChannel over the WhatsApp Cloud API: template messages, paced per phone number.

    ``send`` returns the ``wamid`` and ``wa_id`` Graph accepted, or raises the SendFailure that
    the Graph ``error.code`` calls for (adapters.whatsapp.errors); malformed answers are
    transient; a timeout or a dropped connection after the request left is OutcomeUnknown."""

    channel = Channel.WHATSAPP

    def __init__(
        self, client: httpx.AsyncClient, options: WhatsAppOptions, pacer: Pacer | None = None
    ) -> None:
        self._client = client
        self._options = options
        self._url = options.messages_url
        self._pacer = pacer or Pacer(options.messages_per_second)

    def payload(self, message: OutboundMessage) -> bytes:
        """The exact JSON body ``send`` posts for ``message`` (golden-file tests compare it)."""
        if message.channel is not Channel.WHATSAPP:
            raise PermanentSendFailure(f"a {message.channel.value} message handed to WhatsApp")
        return _ENCODER.encode(template_message(message, self._options.templates))

    async def send(self, message: OutboundMessage) -> Delivery:
        body = self.payload(message)
        await self._pacer.acquire()
        headers = {
            "Authorization": f"Bearer {self._options.access_token}",
            "Content-Type": "application/json",
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except _NOT_SENT as error:
            raise TransientSendFailure(f"graph unreachable: {type(error).__name__}") from error
        except _MAYBE_SENT as error:
            raise OutcomeUnknown(f"no answer after sending: {type(error).__name__}") from error
        except httpx.HTTPError as error:
            raise TransientSendFailure(f"graph request failed: {type(error).__name__}") from error
        return _delivery(response)


def _delivery(response: httpx.Response) -> Delivery:
    status = response.status_code
    try:
        reply = _REPLY.decode(response.content)
    except msgspec.DecodeError as error:
        raise TransientSendFailure(f"malformed graph answer (HTTP {status})") from error
    if reply.error is not None:
        failure = failure_for(
            reply.error.code,
            reply.error.message or reply.error.type or "no message",
            is_transient=reply.error.is_transient,
            http_status=status,
            retry_after_seconds=_retry_after(response),
        )
        _log(failure, status)
        raise failure
    if 200 <= status < 300 and reply.messages:
        wa_id = reply.contacts[0].wa_id if reply.contacts else ""
        return Delivery(provider_message_id=reply.messages[0].id, provider_recipient_id=wa_id or None)
    raise TransientSendFailure(f"graph answer without messages (HTTP {status})")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    # NaN and negatives say nothing; a day is far more than Graph ever asks for.
    return min(seconds, 86_400.0) if seconds >= 0 else None


def _log(failure: SendFailure, status: int) -> None:
    # The reason holds a Graph code and title, never the recipient or the parameters.
    logger.info("whatsapp send refused (HTTP %s, %s): %s", status, type(failure).__name__, failure.reason)
