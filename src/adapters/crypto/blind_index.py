"""BlindIndexer over HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac

from application.ports.crypto import BlindIndexer


class HmacBlindIndexer(BlindIndexer):
    def __init__(self, key: bytes) -> None:
        self._key = key

    def index(self, value: str, *, purpose: str) -> str:
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
