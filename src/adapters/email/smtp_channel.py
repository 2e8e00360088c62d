"""MessageChannel over SMTP (aiosmtplib): one connection per message, plain text and HTML.

How SMTP answers map to what the relay does:
- cannot connect, 4xx, a dropped connection before DATA: transient (retry with backoff);
- authentication refused (535, 530), or the sender refused with 5xx: the channel's
  configuration is wrong, so it pauses (ChannelUnauthorized);
- recipient or content refused with 5xx, a template missing a parameter: permanent;
- a timeout or dropped connection during DATA: the message may have been accepted, so the
  outcome is unknown (never resent blindly).
The Message-ID is derived from the message id, so a resend (after a relay died) carries the same
one and mail clients can fold the duplicate.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime

from aiosmtplib import (
    SMTP,
    SMTPAuthenticationError,
    SMTPException,
    SMTPRecipientRefused,
    SMTPResponseException,
    SMTPSenderRefused,
)

from adapters.email.templates import MissingParameter, render
from application.ports.messaging import (
    ChannelUnauthorized,
    Delivery,
    MessageChannel,
    OutcomeUnknown,
    PermanentSendFailure,
    SendFailure,
    TransientSendFailure,
)
from domain.messaging import Channel, OutboundMessage

_AUTH_CODES = (530, 534, 535, 538)


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpOptions:
    """``use_tls``: TLS from the first byte (port 465); ``start_tls``: upgrade a plain connection
    (port 587). At most one. Without a ``username`` there is no login."""

    host: str
    port: int
    from_address: str
    username: str = ""
    password: str = ""
    use_tls: bool = False
    start_tls: bool = False
    timeout_seconds: float = 10.0


class SmtpEmailChannel(MessageChannel):
    channel = Channel.EMAIL

    def __init__(self, options: SmtpOptions) -> None:
        if options.use_tls and options.start_tls:
            raise ValueError("use either TLS on connect or STARTTLS, not both")
        self._options = options
        self._domain = options.from_address.rpartition("@")[2] or "localhost"
        self._local_hostname = socket.gethostname() or "localhost"

    async def send(self, message: OutboundMessage) -> Delivery:
        email = self._compose(message)
        options = self._options
        client = SMTP(
            hostname=options.host,
            port=options.port,
            username=options.username or None,
            password=options.password or None,
            use_tls=options.use_tls,
            start_tls=options.start_tls,
            timeout=options.timeout_seconds,
            local_hostname=self._local_hostname,
        )
        try:
            await client.connect()
        except SMTPAuthenticationError as error:
            raise ChannelUnauthorized(f"smtp login refused: {error.code}") from None
        except (SMTPException, OSError) as error:
            raise TransientSendFailure(f"smtp connect: {_name(error)}") from None
        try:
            await self._envelope(client, message.recipient)
            await self._data(client, email.as_bytes(policy=SMTP_POLICY))
        finally:
            await _quit(client)
        return Delivery(provider_message_id=email["Message-ID"])

    async def _envelope(self, client: SMTP, recipient: str) -> None:
        try:
            await client.mail(self._options.from_address)
            await client.rcpt(recipient)
        except SMTPSenderRefused as error:
            if error.code >= 500:
                raise ChannelUnauthorized(f"smtp sender refused: {error.code}") from None
            raise TransientSendFailure(f"smtp sender deferred: {error.code}") from None
        except SMTPRecipientRefused as error:
            raise _by_code(error.code, "smtp recipient") from None
        except SMTPResponseException as error:
            raise _by_code(error.code, "smtp envelope") from None
        except (SMTPException, OSError) as error:
            raise TransientSendFailure(f"smtp envelope: {_name(error)}") from None

    async def _data(self, client: SMTP, content: bytes) -> None:
        try:
            await client.data(content)
        except SMTPResponseException as error:
            raise _by_code(error.code, "smtp data") from None
        except (SMTPException, OSError) as error:
            # The content may have left and been accepted; we cannot tell.
            raise OutcomeUnknown(f"smtp data: {_name(error)}") from None

    def _compose(self, message: OutboundMessage) -> EmailMessage:
        try:
            content = render(message.template, dict(message.parameters))
        except MissingParameter as error:
            raise PermanentSendFailure(str(error)) from None
        email = EmailMessage()
        email["From"] = self._options.from_address
        email["To"] = message.recipient
        email["Subject"] = content.subject
        email["Date"] = format_datetime(message.created_at)
        email["Message-ID"] = f"<{message.id}@{self._domain}>"
        email.set_content(content.text)
        email.add_alternative(content.html, subtype="html")
        return email


def _by_code(code: int, what: str) -> SendFailure:
    if code in _AUTH_CODES:
        return ChannelUnauthorized(f"{what}: {code}")
    if 400 <= code < 500:
        return TransientSendFailure(f"{what} deferred: {code}")
    return PermanentSendFailure(f"{what} refused: {code}")


def _name(error: BaseException) -> str:
    # The class name only: server texts can echo the recipient's address back.
    return type(error).__name__


async def _quit(client: SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (SMTPException, OSError):
        client.close()
