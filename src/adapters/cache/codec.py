"""Values to bytes and back: msgspec MessagePack; for the shared layer, zlib above a size threshold
and, for sensitive values, AES-256-GCM through the FieldCipher port.

A frame is one flag byte and the payload. Encryption is bound to the cache key (associated
data), so a sealed value copied under another key does not open.
"""

from __future__ import annotations

import zlib
from typing import Any

import msgspec

from application.ports.crypto import FieldCipher

COMPRESSED = 0x01
ENCRYPTED = 0x02


class ValueCodec:
    """Encodes domain values (dataclasses, enums, UUIDs, datetimes, containers of them)."""

    def __init__(
        self, *, cipher: FieldCipher | None = None, compress_threshold: int = 1024, level: int = 1
    ) -> None:
        self._cipher = cipher
        self._threshold = compress_threshold
        self._level = level  # zlib level 1: most of the size gain for a fraction of the time
        self._encoder = msgspec.msgpack.Encoder()
        self._decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}

    @property
    def can_encrypt(self) -> bool:
        return self._cipher is not None

    def encode(self, value: Any) -> bytes:
        return self._encoder.encode(value)

    def decode(self, data: bytes, returns: Any) -> Any:
        """Raises msgspec.DecodeError / ValidationError for bytes that are not a ``returns``."""
        decoder = self._decoders.get(returns)
        if decoder is None:
            decoder = self._decoders[returns] = msgspec.msgpack.Decoder(returns)
        return decoder.decode(data)

    def seal(self, payload: bytes, key: str, *, compress: bool, encrypt: bool) -> bytes:
        """Frame ``payload``: compressed when allowed, above the threshold and actually smaller;
        encrypted when asked (ValueError without a cipher: never store PHI in the clear)."""
        flags = 0
        if compress and len(payload) > self._threshold:
            packed = zlib.compress(payload, self._level)
            if len(packed) < len(payload):
                payload, flags = packed, flags | COMPRESSED
        if encrypt:
            if self._cipher is None:
                raise ValueError("a sensitive value needs a cipher before it leaves the process")
            payload, flags = self._cipher.encrypt(payload, context=_context(key)), flags | ENCRYPTED
        return bytes((flags,)) + payload

    def open(self, frame: bytes, key: str) -> bytes:
        """The payload of a frame made by ``seal`` under ``key``. Raises ValueError when it was
        tampered with, sealed under another key, or needs a cipher (or key) we do not have."""
        if not frame:
            raise ValueError("empty frame")
        flags, payload = frame[0], frame[1:]
        if flags & ENCRYPTED:
            if self._cipher is None:
                raise ValueError("encrypted value and no cipher")
            payload = self._cipher.decrypt(payload, context=_context(key))
        if flags & COMPRESSED:
            try:
                payload = zlib.decompress(payload)
            except zlib.error as exc:
                raise ValueError("corrupt compressed value") from exc
        return payload


def _context(key: str) -> bytes:
    return b"cache:" + key.encode()
