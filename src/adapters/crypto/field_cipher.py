"""FieldCipher over AES-256-GCM (the cryptography package) with a key ring.

Ciphertext layout: ``v1`` | key id length (1 byte) | key id | 12-byte nonce | ciphertext+tag.
The context is the associated data: a ciphertext moved to another row or column fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.ports.crypto import FieldCipher

_VERSION = b"v1"
_NONCE_BYTES = 12


def parse_key_ring(spec: str) -> tuple[str, dict[str, bytes]]:
    """Parse ``kid:base64key[,kid:base64key...]`` (the first is active; a bare key is kid ``k1``).
    Each key is 32 random bytes in URL-safe or standard base64. Raises ValueError naming what is
    wrong, never the key itself."""
    keys: dict[str, bytes] = {}
    active = ""
    for position, item in enumerate(part.strip() for part in spec.split(",") if part.strip()):
        kid, _, encoded = item.rpartition(":") if ":" in item else ("k1", "", item)
        kid = kid.strip()
        if not kid or len(kid) > 32 or not kid.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"key {position + 1}: expected an id of letters, digits, - or _ before ':'")
        try:
            key = base64.urlsafe_b64decode(encoded.strip().replace("+", "-").replace("/", "_") + "==")
        except (binascii.Error, ValueError):
            raise ValueError(f"key {kid!r}: expected base64") from None
        if len(key) != 32:
            raise ValueError(f"key {kid!r}: expected 32 bytes (AES-256), got {len(key)}")
        if kid in keys:
            raise ValueError(f"key id {kid!r} appears twice")
        keys[kid] = key
        active = active or kid
    if not keys:
        raise ValueError("expected at least one key")
    return active, keys


class AesGcmFieldCipher(FieldCipher):
    def __init__(self, active_key_id: str, keys: Mapping[str, bytes]) -> None:
        if active_key_id not in keys:
            raise ValueError("the active key is not in the ring")
        self._active = active_key_id
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}

    @classmethod
    def from_spec(cls, spec: str) -> AesGcmFieldCipher:
        active, keys = parse_key_ring(spec)
        return cls(active, keys)

    @property
    def active_key_id(self) -> str:
        return self._active

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        kid = self._active.encode()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self._active].encrypt(nonce, plaintext, context)
        return b"".join((_VERSION, bytes([len(kid)]), kid, nonce, sealed))

    def decrypt(self, ciphertext: bytes, *, context: bytes) -> bytes:
        kid, nonce, sealed = self._split(ciphertext)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise ValueError("ciphertext made with a key that is not in the ring")
        try:
            return cipher.decrypt(nonce, sealed, context)
        except InvalidTag:
            raise ValueError("ciphertext does not authenticate") from None

    def key_id_of(self, ciphertext: bytes) -> str:
        return self._split(ciphertext)[0]

    @staticmethod
    def _split(ciphertext: bytes) -> tuple[str, bytes, bytes]:
        if not ciphertext.startswith(_VERSION) or len(ciphertext) < 4:
            raise ValueError("not a v1 ciphertext")
        length = ciphertext[2]
        kid = ciphertext[3 : 3 + length].decode("ascii", "replace")
        nonce = ciphertext[3 + length : 3 + length + _NONCE_BYTES]
        sealed = ciphertext[3 + length + _NONCE_BYTES :]
        if len(nonce) != _NONCE_BYTES or len(sealed) < 16:
            raise ValueError("truncated ciphertext")
        return kid, nonce, sealed
