"""How often codes may be sent and how long a locked identity waits, and the digests that bind a
code to its identity and its challenge (shared by requesting and verifying)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from application.ports.otp import RateLimit
from application.ports.repositories import UserRepository
from application.ports.security import SecretHasher
from domain.contact import Email, PhoneNumber
from domain.identity import User
from domain.otp import Identity


@dataclass(frozen=True, slots=True, kw_only=True)
class OtpPolicy:
    resend_cooldown: RateLimit
    per_identity: RateLimit
    per_client_ip: RateLimit
    lock_for: timedelta
    self_registration: bool


def identity_of(email: str | None, phone: str | None) -> Identity:
    """The identity a request names (INVALID_EMAIL, INVALID_PHONE, or VALIDATION_ERROR for both
    or neither)."""
    return Identity(email=Email(email) if email else None, phone=PhoneNumber(phone) if phone else None)


def identity_hash(hasher: SecretHasher, identity: Identity) -> str:
    return hasher.digest(identity.key, purpose="otp-identity")


def code_purpose(challenge_id: UUID) -> str:
    """Codes are hashed with their challenge's id: a code is good for that challenge only."""
    return f"otp-code:{challenge_id}"


async def find_user(users: UserRepository, identity: Identity) -> User | None:
    if identity.email is not None:
        return await users.get_by_email(identity.email)
    assert identity.phone is not None  # Identity holds exactly one
    return await users.get_by_phone(identity.phone)
