"""Keeping PHI, codes, tokens and secrets out of every log line.

A filter on the root handler rewrites each record's final message (and exception text) before
any formatter sees it, so it covers third-party loggers too: SQLAlchemy echo, httpx, granian.
What it removes:
- the configured secrets themselves (JWT and HMAC keys, PHI keys, passwords, tokens);
- bearer tokens and JWTs; refresh tokens and other long random tokens;
- email addresses (kept: the domain) and phone numbers (kept: the last two digits);
- one-time codes: any standalone run of exactly six digits;
- ``token=`` values in query strings (signed document links: a link is a credential).
It is a last line of defence: code must still not log PHI in the first place.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)([?&;]|%3F|%26)(token=)[^&\s\"'<>]*"), r"\1\2[redacted]"),
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[jwt]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})"), r"[email]@\1"),
    (re.compile(r"\+?\d[\d ()-]{6,}(\d{2})\b"), r"[phone]\1"),
    (re.compile(r"(?<![\w-])\d{6}(?![\w-])"), "[code]"),
    (re.compile(r"(?<![\w-])[A-Za-z0-9_-]{40,}(?![\w-])"), "[token]"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self._secrets)
        record.args = None
        if record.exc_info:
            # Format once here so the traceback text is redacted too, then drop the raw exception.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self._secrets)
            record.exc_info = None
        return True
