"""``healthcare outbox list | retry | stats``: the operator's view of outbound messages.

- ``list [--status S] [--limit N]``: the newest messages, recipients masked, never parameters.
- ``retry ID``: a FAILED, DEAD or UNCERTAIN message starts over (a PENDING one is due at once);
  audited. Exit 1 when there is no such message or it cannot be retried (already sent, being
  sent, voided).
- ``stats``: how many messages per channel and status, and the oldest of each.
All three act as the system (every clinic), with the same settings as the server.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from dishka import AsyncContainer

from domain.messaging import MessageStatus
from entrypoints.config import Settings

COMMAND = "outbox"
T = TypeVar("T")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    outbox = commands.add_parser(COMMAND, help="outbound messages (the outbox)")
    actions = outbox.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the newest messages")
    listing.add_argument("--status", type=MessageStatus, choices=list(MessageStatus), help="only this status")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    retry = actions.add_parser("retry", help="send a failed, dead or uncertain message again")
    retry.add_argument("id", type=UUID, help="the message id")
    actions.add_parser("stats", help="messages per channel and status")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "list":
        return await _in_request(settings, lambda r: _list(r, args.status, args.limit))
    if args.action == "retry":
        return await _in_request(settings, lambda r: _retry(r, args.id))
    return await _in_request(settings, _stats)


async def _in_request(settings: Settings, work: Callable[[AsyncContainer], Awaitable[T]]) -> T:
    from entrypoints.bootstrap import as_system, prepare_store
    from entrypoints.ioc.profiles import build_container

    container = build_container(settings)
    try:
        await prepare_store(container, settings)
        async with container() as request:
            await as_system(request)
            return await work(request)
    finally:
        await container.close()


def _time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


async def _list(request: AsyncContainer, status: MessageStatus | None, limit: int) -> int:
    from application.messaging.outbox_report import ListMessagesQuery, ListOutboundMessages, mask_recipient

    entries = await (await request.get(ListOutboundMessages))(ListMessagesQuery(status=status, limit=limit))
    print(
        f"{'id':36}  {'status':9}  {'channel':8}  {'template':24}  try  {'next attempt (UTC)':19}  "
        f"{'recipient':20}  last error"
    )
    for e in entries:
        print(
            f"{e.id!s:36}  {e.status.value:9}  {e.channel.value:8}  {e.template.value:24}  {e.attempts:>3}  "
            f"{_time(e.next_attempt_at):19}  {mask_recipient(e.recipient):20}  {e.last_error or ''}"
        )
    return 0


async def _retry(request: AsyncContainer, message_id: UUID) -> int:
    from application.messaging.retry_message import RetryMessage, RetryMessageCommand, RetryOutcome

    result = await (await request.get(RetryMessage))(RetryMessageCommand(message_id=message_id))
    if result.outcome is RetryOutcome.REQUEUED:
        print(f"Message {message_id} (was {result.status}) is pending again.")
        return 0
    found = f" (it is {result.status})" if result.status else ""
    print(f"OUTBOX_RETRY_REFUSED: message {message_id}: {result.outcome.value}{found}", file=sys.stderr)
    return 1


async def _stats(request: AsyncContainer) -> int:
    from application.messaging.outbox_report import CountOutboundMessages

    counts = await (await request.get(CountOutboundMessages))()
    print(f"{'channel':8}  {'status':9}  {'count':>7}  oldest (UTC)")
    for c in counts:
        print(f"{c.channel.value:8}  {c.status.value:9}  {c.count:>7}  {_time(c.oldest)}")
    print(f"{'total':8}  {'':9}  {sum(c.count for c in counts):>7}")
    return 0
