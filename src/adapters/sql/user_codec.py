"""Sealing users' personal fields for storage, and their blind indexes for lookups."""

from __future__ import annotations

from uuid import UUID

from adapters.sql.records import UserRecord
from application.ports.crypto import BlindIndexer, FieldCipher
from domain.contact import Email, PhoneNumber
from domain.identity import User

Row = dict[str, object]


class UserCodec:
    """Maps User to and from UserRecord rows. Each sealed field is bound to its column and row
    (the AEAD context), so a ciphertext copied into another row or column does not decrypt."""

    def __init__(self, cipher: FieldCipher, indexer: BlindIndexer) -> None:
        self._cipher = cipher
        self._indexer = indexer

    def email_index(self, email: Email) -> str:
        return self._indexer.index(email.lookup_key, purpose="users.email")

    def phone_index(self, phone: PhoneNumber) -> str:
        return self._indexer.index(phone.value, purpose="users.phone")

    def row(self, user: User) -> Row:
        return {
            "id": user.id,
            "name_sealed": self._seal(user.id, "name", user.name),
            "email_sealed": self._seal(user.id, "email", user.email.value) if user.email else None,
            "email_index": self.email_index(user.email) if user.email else None,
            "phone_sealed": self._seal(user.id, "phone", user.phone.value) if user.phone else None,
            "phone_index": self.phone_index(user.phone) if user.phone else None,
            "active": user.active,
            "is_super_admin": user.is_super_admin,
            "created_at": user.created_at,
            "created_by": user.created_by,
        }

    def user(self, record: UserRecord) -> User:
        user_id = UUID(str(record.id))
        email = self._open(user_id, "email", record.email_sealed)
        phone = self._open(user_id, "phone", record.phone_sealed)
        return User(
            id=user_id,
            name=self._open(user_id, "name", record.name_sealed) or "",
            email=Email(email) if email else None,
            phone=PhoneNumber(phone) if phone else None,
            active=record.active,
            is_super_admin=record.is_super_admin,
            created_at=record.created_at,
            created_by=UUID(str(record.created_by)) if record.created_by else None,
        )

    def resealed(self, record: UserRecord) -> Row | None:
        """The row re-encrypted under the active key, or None when it already is (key rotation)."""
        sealed = [record.name_sealed, record.email_sealed, record.phone_sealed]
        if all(s is None or self._cipher.key_id_of(s) == self._cipher.active_key_id for s in sealed):
            return None
        return self.row(self.user(record))

    def _seal(self, user_id: UUID, column: str, value: str) -> bytes:
        return self._cipher.encrypt(value.encode(), context=f"users.{column}:{user_id}".encode())

    def _open(self, user_id: UUID, column: str, sealed: bytes | None) -> str | None:
        if sealed is None:
            return None
        return self._cipher.decrypt(bytes(sealed), context=f"users.{column}:{user_id}".encode()).decode()
