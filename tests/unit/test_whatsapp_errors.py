"""Graph error codes -> what the relay does, as a table; and the pacer that spaces sends."""

from __future__ import annotations

import pytest

from adapters.whatsapp.errors import failure_class, failure_for
from adapters.whatsapp.pacing import Pacer
from application.ports.messaging import (
    ChannelThrottled,
    ChannelUnauthorized,
    PermanentSendFailure,
    RecipientThrottled,
    SendFailure,
    TransientSendFailure,
)

# The codes issue 7 names, each with the class it must map to.
DOCUMENTED: dict[int, type[SendFailure]] = {
    **dict.fromkeys((1, 2, 131000, 131016, 131057), TransientSendFailure),
    **dict.fromkeys((4, 80007, 130429), ChannelThrottled),
    131056: RecipientThrottled,
    **dict.fromkeys((0, 10, 190, 200, 250, 299), ChannelUnauthorized),
    **dict.fromkeys(
        (100, 131008, 131009, 131026, 131047, 132000, 132001, 132015, 132016), PermanentSendFailure
    ),
}


@pytest.mark.parametrize(("code", "kind"), DOCUMENTED.items())
@pytest.mark.parametrize("http_status", [200, 400, 401, 429, 500, 503])
def test_documented_codes_map_by_code_whatever_the_http_status(
    code: int, kind: type[SendFailure], http_status: int
) -> None:
    assert failure_class(code, http_status=http_status) is kind
    assert failure_class(code, http_status=http_status, is_transient=True) is kind


def test_unknown_codes_follow_the_transient_hint_then_the_status() -> None:
    assert failure_class(999_999, http_status=400) is PermanentSendFailure
    assert failure_class(999_999, http_status=400, is_transient=True) is TransientSendFailure
    assert failure_class(999_999, http_status=502) is TransientSendFailure
    assert failure_class(999_999, http_status=429) is TransientSendFailure
    assert failure_class(None, http_status=400) is TransientSendFailure  # no code: a malformed answer


def test_reason_is_the_code_and_title() -> None:
    failure = failure_for(131026, "Message Undeliverable", http_status=400)
    assert isinstance(failure, PermanentSendFailure)
    assert failure.reason == "graph 131026: Message Undeliverable"
    assert len(failure_for(100, "x" * 1000).reason) <= 300


def test_recipient_throttle_waits_for_the_pair_limit_unless_told_otherwise() -> None:
    assert failure_for(131056, "pair rate limit").retry_after_seconds == 6.0
    assert failure_for(131056, "pair rate limit", retry_after_seconds=30).retry_after_seconds == 30
    assert failure_for(130429, "rate limit", retry_after_seconds=2).retry_after_seconds == 2
    assert failure_for(130429, "rate limit").retry_after_seconds is None


class Timeline:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))


async def test_pacer_spaces_a_burst_evenly() -> None:
    time = Timeline()
    pacer = Pacer(4, clock=time.clock, sleep=time.sleep)
    for _ in range(5):
        await pacer.acquire()
    assert time.slept == [0.25, 0.5, 0.75, 1.0]


async def test_pacer_does_not_wait_after_a_quiet_spell_and_zero_means_unpaced() -> None:
    time = Timeline()
    pacer = Pacer(4, clock=time.clock, sleep=time.sleep)
    await pacer.acquire()
    time.now += 10
    await pacer.acquire()
    assert time.slept == []
    unpaced = Pacer(0, clock=time.clock, sleep=time.sleep)
    for _ in range(100):
        await unpaced.acquire()
    assert time.slept == []
