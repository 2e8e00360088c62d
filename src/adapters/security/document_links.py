"""DocumentLinks over HMAC-SHA256: a compact token of (version, prescription, clinic, expiry) and its tag."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from datetime import UTC, datetime
from uuid import UUID

from application.ports.document_links import DocumentGrant, DocumentLinks
from domain.errors import DocumentLinkInvalid

_FORMAT = b"\x01"
_LAYOUT = struct.Struct(">c16s16sq")  # format, prescription id, clinic id, expiry (Unix seconds)
_PURPOSE = b"prescription-document-link/v1"
_TAG_BYTES = 32
MAX_TOKEN_LENGTH = 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class HmacDocumentLinks(DocumentLinks):
    """Signs with a key derived from ``secret`` for this purpose alone, so a link's tag can never
    stand for anything else signed with the same secret (an access token, an audit chain)."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("document links need a secret")
        self._key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()

    def sign(self, grant: DocumentGrant) -> str:
        expiry = int(grant.expires_at.timestamp())
        payload = _LAYOUT.pack(_FORMAT, grant.prescription_id.bytes, grant.clinic_id.bytes, expiry)
        return f"{_b64(payload)}.{_b64(self._tag(payload))}"

    def open(self, token: str, *, now: datetime) -> DocumentGrant:
        if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
            raise DocumentLinkInvalid()
        encoded_payload, encoded_tag = token.split(".")
        try:
            payload, tag = _unb64(encoded_payload), _unb64(encoded_tag)
        except (binascii.Error, ValueError):
            raise DocumentLinkInvalid() from None
        # Re-encoding must give the token back: no second spelling of one token is accepted.
        if _b64(payload) != encoded_payload or _b64(tag) != encoded_tag:
            raise DocumentLinkInvalid()
        if len(tag) != _TAG_BYTES or not hmac.compare_digest(tag, self._tag(payload)):
            raise DocumentLinkInvalid()
        if len(payload) != _LAYOUT.size:
            raise DocumentLinkInvalid()
        version, prescription, clinic, expiry = _LAYOUT.unpack(payload)
        if version != _FORMAT:
            raise DocumentLinkInvalid()
        expires_at = datetime.fromtimestamp(expiry, tz=UTC)
        if now >= expires_at:
            raise DocumentLinkInvalid()
        return DocumentGrant(
            prescription_id=UUID(bytes=prescription), clinic_id=UUID(bytes=clinic), expires_at=expires_at
        )

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()
