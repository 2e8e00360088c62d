"""What one relay has learnt about its channels and recipients: who must wait, and until when.

In process memory: each relay learns for itself from the answers it gets (a second relay is
throttled on its own first try). Nothing here is a guarantee to the provider; it only keeps a
relay from hammering a provider that already said no.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.messaging import Channel


class ChannelGates:
    def __init__(self) -> None:
        self._paused: dict[Channel, datetime] = {}
        self._refused: set[Channel] = set()
        self._recipients: dict[tuple[Channel, str], datetime] = {}

    def open_channels(self, channels: Iterable[Channel], now: datetime) -> list[Channel]:
        """The channels that are not paused at ``now``."""
        return [c for c in channels if self.paused_until(c, now) is None]

    def paused_until(self, channel: Channel, now: datetime) -> datetime | None:
        until = self._paused.get(channel)
        return until if until is not None and until > now else None

    def pause(self, channel: Channel, until: datetime) -> None:
        self._paused[channel] = max(until, self._paused.get(channel, until))

    def refuse(self, channel: Channel, until: datetime) -> bool:
        """The channel's credentials were refused: pause it until ``until``. Returns True the first
        time (the moment to alert), False while it stays refused."""
        self.pause(channel, until)
        first = channel not in self._refused
        self._refused.add(channel)
        return first

    def is_refused(self, channel: Channel) -> bool:
        """Refused and not yet seen working again: its next send is a probe, sent alone."""
        return channel in self._refused

    def accepted(self, channel: Channel) -> bool:
        """A send went through. Returns True when the channel had been refused until now."""
        if channel in self._refused:
            self._refused.discard(channel)
            return True
        return False

    def hold_recipient(self, channel: Channel, recipient: str, until: datetime) -> None:
        key = (channel, recipient)
        self._recipients[key] = max(until, self._recipients.get(key, until))

    def recipient_held_until(self, channel: Channel, recipient: str, now: datetime) -> datetime | None:
        key = (channel, recipient)
        until = self._recipients.get(key)
        if until is not None and until <= now:
            del self._recipients[key]  # forget holds that ended, so the map cannot grow for ever
            return None
        return until
