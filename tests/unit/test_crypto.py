"""PHI field encryption under a key ring, and blind indexes."""

from __future__ import annotations

import base64
import os

import pytest

from adapters.crypto.blind_index import HmacBlindIndexer
from adapters.crypto.field_cipher import AesGcmFieldCipher, parse_key_ring


def key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_round_trip_and_context_binding() -> None:
    cipher = AesGcmFieldCipher.from_spec(f"k1:{key()}")
    sealed = cipher.encrypt(b"Jane Doe", context=b"patients.name:1")
    assert b"Jane" not in sealed
    assert cipher.decrypt(sealed, context=b"patients.name:1") == b"Jane Doe"
    assert cipher.encrypt(b"Jane Doe", context=b"c") != cipher.encrypt(
        b"Jane Doe", context=b"c"
    )  # fresh nonce
    with pytest.raises(ValueError):
        cipher.decrypt(sealed, context=b"patients.name:2")  # moved to another row


def test_tampering_is_detected() -> None:
    cipher = AesGcmFieldCipher.from_spec(key())
    sealed = bytearray(cipher.encrypt(b"secret", context=b"x"))
    sealed[-1] ^= 1
    with pytest.raises(ValueError):
        cipher.decrypt(bytes(sealed), context=b"x")
    with pytest.raises(ValueError):
        cipher.decrypt(b"v1", context=b"x")


def test_rotation_keeps_old_ciphertexts_readable() -> None:
    old, new = key(), key()
    before = AesGcmFieldCipher.from_spec(f"old:{old}")
    sealed = before.encrypt(b"dob 1980-01-01", context=b"c")
    after = AesGcmFieldCipher.from_spec(f"new:{new},old:{old}")
    assert after.active_key_id == "new"
    assert after.key_id_of(sealed) == "old"
    assert after.decrypt(sealed, context=b"c") == b"dob 1980-01-01"
    assert after.key_id_of(after.encrypt(b"x", context=b"c")) == "new"
    with pytest.raises(ValueError):
        AesGcmFieldCipher.from_spec(f"new:{new}").decrypt(sealed, context=b"c")  # old key retired


@pytest.mark.parametrize(
    "spec", ["", "k1:short", "k1:" + "A" * 43 + "=,k1:" + "A" * 43 + "=", "bad id!:" + "A" * 43 + "="]
)
def test_bad_key_rings_are_refused_without_echoing_keys(spec: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_key_ring(spec)
    assert "AAAA" not in str(raised.value)


def test_blind_index_is_keyed_and_separated_by_purpose() -> None:
    one, two = HmacBlindIndexer(b"key-one"), HmacBlindIndexer(b"key-two")
    assert one.index("+14155550123", purpose="phone") == one.index("+14155550123", purpose="phone")
    assert one.index("+14155550123", purpose="phone") != two.index("+14155550123", purpose="phone")
    assert one.index("x", purpose="phone") != one.index("x", purpose="email")
