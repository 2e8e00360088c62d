"""What a provider's status report may do to an outbound message: only move it forward.

    reported    moves a message that is      to
    SENT        UNCERTAIN                    SENT        (the send we could not confirm happened)
    DELIVERED   SENT, UNCERTAIN              DELIVERED
    READ        SENT, DELIVERED, UNCERTAIN   READ
    FAILED      SENT, UNCERTAIN              FAILED      (a permanent code: never retried)
    FAILED      SENT, UNCERTAIN              PENDING     (a transient code: the provider says it
                                                          was not delivered, so a retry is safe)

Anything else changes nothing: a duplicate, DELIVERED after READ, any report on a message that
is FAILED, DEAD or VOID, or on one still PENDING or SENDING (the relay owns it then).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.messaging import MessageStatus

S = MessageStatus


@dataclass(frozen=True, slots=True)
class ReportedTransition:
    """``source``: the statuses a report may move; ``target``: where it moves them."""

    source: frozenset[MessageStatus]
    target: MessageStatus


_FORWARD = {
    S.SENT: ReportedTransition(frozenset({S.UNCERTAIN}), S.SENT),
    S.DELIVERED: ReportedTransition(frozenset({S.SENT, S.UNCERTAIN}), S.DELIVERED),
    S.READ: ReportedTransition(frozenset({S.SENT, S.DELIVERED, S.UNCERTAIN}), S.READ),
}
_FAILED_PERMANENTLY = ReportedTransition(frozenset({S.SENT, S.UNCERTAIN}), S.FAILED)
_FAILED_FOR_NOW = ReportedTransition(frozenset({S.SENT, S.UNCERTAIN}), S.PENDING)


def reported_transition(reported: MessageStatus, *, permanent: bool) -> ReportedTransition | None:
    """The transition a provider's ``reported`` status stands for, or None for a status no
    provider reports (PENDING, SENDING ...)."""
    if reported is S.FAILED:
        return _FAILED_PERMANENTLY if permanent else _FAILED_FOR_NOW
    return _FORWARD.get(reported)


def failure_reason(code: str | None, reason: str | None) -> str:
    """A provider failure as stored: ``code: reason``, at most 500 characters."""
    text = ": ".join(part for part in (code, reason) if part) or "failed"
    return text[:500]
