"""Field encryption and blind indexes for protected health information (PHI)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol


class FieldCipher(Protocol):
    """Authenticated encryption of single values under a key ring.

    Contract: ``decrypt(encrypt(p, context=c), context=c) == p``; the ciphertext names the key
    that made it, so retired keys still decrypt; decrypting with another ``context`` (the column
    and row it belongs to), a tampered ciphertext or an unknown key raises ValueError.
    """

    @abstractmethod
    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes: ...

    @abstractmethod
    def decrypt(self, ciphertext: bytes, *, context: bytes) -> bytes: ...

    @abstractmethod
    def key_id_of(self, ciphertext: bytes) -> str:
        """Which key made ``ciphertext`` (for rotation)."""
        ...

    @property
    @abstractmethod
    def active_key_id(self) -> str: ...


class BlindIndexer(Protocol):
    """A keyed, deterministic digest of a normalised value, for equality search and uniqueness
    without storing the value in the clear. ``purpose`` separates indexes of different fields,
    so equal values in two columns do not give equal digests."""

    @abstractmethod
    def index(self, value: str, *, purpose: str) -> str: ...
