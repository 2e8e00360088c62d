"""MessageChannel over the terminal (embedded profile, development): prints each message to
standard output, never to the application log.

It prints what the recipient would get, codes included: that is the point on a developer's
machine, and why the settings refuse it in production (entrypoints.config.safety). The log only
ever sees message ids.
"""

from __future__ import annotations

import sys
from typing import TextIO

from application.ports.messaging import Delivery, MessageChannel
from domain.messaging import Channel, OutboundMessage


class ConsoleChannel(MessageChannel):
    def __init__(self, channel: Channel, stream: TextIO | None = None) -> None:
        self.channel = channel
        self._stream = stream

    async def send(self, message: OutboundMessage) -> Delivery:
        # Looked up per call, so that whatever replaced sys.stdout (a test's capture) gets it.
        stream = self._stream or sys.stdout
        parameters = " ".join(f"{name}={value}" for name, value in sorted(message.parameters.items()))
        stream.write(
            f"[{self.channel.value} to {message.recipient}] {message.template.value}: {parameters}\n"
        )
        stream.flush()
        return Delivery(provider_message_id=f"console-{message.id}")
