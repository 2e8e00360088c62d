"""MessageChannel that records what it is given (memory profile, tests).

It accepts everything, unless a test has queued failures: ``fail_next(error, ...)`` makes the
next sends raise those SendFailures, in order. ``sent`` lists every accepted message, duplicates
included, so a test sees exactly what a recipient would have received.
"""

from __future__ import annotations

from collections import deque

from application.ports.messaging import Delivery, MessageChannel, SendFailure
from domain.messaging import Channel, OutboundMessage


class RecordingChannel(MessageChannel):
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.sent: list[OutboundMessage] = []
        self.attempts = 0
        self._failures: deque[SendFailure] = deque()

    def fail_next(self, *failures: SendFailure) -> None:
        self._failures.extend(failures)

    async def send(self, message: OutboundMessage) -> Delivery:
        self.attempts += 1
        if self._failures:
            raise self._failures.popleft()
        self.sent.append(message)
        return Delivery(provider_message_id=f"rec-{message.id}", provider_recipient_id=None)
