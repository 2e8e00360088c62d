"""The fake Graph API's records: its registry entries, injected behaviours, answers, and what it
received and accepted."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """An approved template: how many body variables and copy-code button parameters it takes."""

    body_parameters: int
    button_parameters: int = 0


class Malformed(StrEnum):
    HTML_502 = "html_502"  # a proxy's error page
    EMPTY_503 = "empty_503"  # no body at all
    TRUNCATED_JSON = "truncated_json"  # a 200 cut off mid-object
    NO_MESSAGES = "no_messages"  # a 200 that is JSON but has no ``messages``


@dataclass(frozen=True, slots=True)
class Script:
    """One injected behaviour for the next request."""

    error_code: int | None = None
    http_status: int = 400
    title: str | None = None
    malformed: Malformed | None = None
    delay: float = 0.0


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    outcome: str = "accepted"

    def header_list(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-type", self.content_type.encode()),
            (b"content-length", str(len(self.body)).encode()),
        ]


@dataclass(slots=True, kw_only=True)
class Received:
    """One request as it arrived, and what the fake answered (``error 132000``, ``accepted``...)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    outcome: str = "pending"

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """A message the fake took; ``to`` is its wa_id too."""

    wamid: str
    to: str
    template: str
    language: str
    body_parameters: list[str]
    button_parameters: list[str]
    callback_data: str | None
    at: float = field(default_factory=time.time)
