"""Validated contact value objects: email addresses and E.164 phone numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidEmail, InvalidPhone

# Deliberately pragmatic: one "@", a dot in the domain, no spaces. Full RFC 5322 accepts
# addresses no mail provider delivers to; deliverability is proven by the OTP anyway.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True, slots=True)
class Email:
    """An email address, normalised: surrounding spaces dropped, domain lower-cased.

    Raises InvalidEmail when the text is not an address or is longer than 254 characters.
    """

    value: str

    def __post_init__(self) -> None:
        text = self.value.strip()
        if len(text) > 254 or not _EMAIL.match(text):
            raise InvalidEmail(details={"email": "expected an address like name@example.com"})
        local, _, domain = text.rpartition("@")
        object.__setattr__(self, "value", f"{local}@{domain.lower()}")

    @property
    def lookup_key(self) -> str:
        """The form used for uniqueness: addresses differing only in case are one identity."""
        return self.value.lower()

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number in E.164 form (``+`` then 7 to 15 digits). Spaces, dashes and dots are
    accepted on input and dropped. Raises InvalidPhone otherwise."""

    value: str

    def __post_init__(self) -> None:
        text = re.sub(r"[\s().-]", "", self.value)
        if not _E164.match(text):
            raise InvalidPhone(details={"phone": "expected E.164, for example +14155550123"})
        object.__setattr__(self, "value", text)

    @property
    def masked(self) -> str:
        """The last two digits only, for logs and support screens."""
        return f"+{'*' * (len(self.value) - 3)}{self.value[-2:]}"

    def __str__(self) -> str:
        return self.value
