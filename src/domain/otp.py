"""One-time sign-in codes.

Rules:
- A code is 6 digits from a CSPRNG, lives 5 minutes, works once, and is stored only as a keyed
  hash bound to the identity it was sent to (a code sent to one address is no use for another).
- At most 5 guesses are evaluated per code, counted atomically, so parallel guessing gets no
  more; the 5th wrong guess kills the code and locks the identity for a while.
- A new request replaces the pending code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.contact import Email, PhoneNumber
from domain.errors import ValidationFailed

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
MAX_GUESSES = 5


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a code is for: an email address or a phone number."""

    email: Email | None = None
    phone: PhoneNumber | None = None

    def __post_init__(self) -> None:
        if (self.email is None) == (self.phone is None):
            raise ValidationFailed(details={"email": "send exactly one of email or phone"})

    @property
    def key(self) -> str:
        """The normalised identity, for hashing into store keys (never stored in the clear)."""
        return f"email:{self.email.lookup_key}" if self.email else f"phone:{self.phone}"


@dataclass(frozen=True, slots=True, kw_only=True)
class OtpChallenge:
    """A pending code as stored: ``identity_hash`` and ``code_hash`` are keyed digests."""

    id: UUID
    identity_hash: str
    code_hash: str
    expires_at: datetime
    attempts: int = 0

    def is_live(self, now: datetime) -> bool:
        return now < self.expires_at and self.attempts < MAX_GUESSES
