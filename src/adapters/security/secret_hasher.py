"""SecretHasher over HMAC-SHA256 and the secrets module."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from application.ports.security import SecretHasher


class HmacSecretHasher(SecretHasher):
    def __init__(self, key: bytes) -> None:
        self._key = key

    def digest(self, secret: str, *, purpose: str) -> str:
        return hmac.new(self._key, purpose.encode() + b"\x00" + secret.encode(), hashlib.sha256).hexdigest()

    def matches(self, secret: str, digest: str, *, purpose: str) -> bool:
        return hmac.compare_digest(self.digest(secret, purpose=purpose), digest)

    def new_token(self) -> str:
        return secrets.token_urlsafe(32)
