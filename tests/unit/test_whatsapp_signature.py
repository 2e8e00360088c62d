"""Webhook signatures, checked on the raw bytes: the real delivery of the test vector, our own,
and every way a forgery or a re-serialised body differs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.whatsapp.signature import SignatureCheck, check_signature, check_verify_token
from fakes.graph_webhooks import sign

# A copy of ../shared/testdata/whatsapp-webhook-vector.json (published by pywa, tests/test_server.py).
VECTOR = json.loads(
    (Path(__file__).resolve().parents[1] / "testdata/whatsapp-webhook-vector.json").read_text()
)
BODY: bytes = VECTOR["body"].encode()
SECRET: str = VECTOR["app_secret"]
HEADER: str = VECTOR["x_hub_signature_256"]


def test_the_real_delivery_verifies_with_its_secret() -> None:
    assert check_signature(BODY, HEADER, SECRET) is SignatureCheck.VALID


def test_our_own_signatures_verify() -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    assert check_signature(body, sign(body, "s3cret"), "s3cret") is SignatureCheck.VALID


def test_every_one_byte_change_of_the_body_is_invalid() -> None:
    for position in range(len(BODY)):
        changed = bytearray(BODY)
        changed[position] ^= 0x01
        assert check_signature(bytes(changed), HEADER, SECRET) is SignatureCheck.INVALID, position
    assert check_signature(BODY + b" ", HEADER, SECRET) is SignatureCheck.INVALID
    assert check_signature(BODY[:-1], HEADER, SECRET) is SignatureCheck.INVALID


def test_every_one_character_change_of_the_header_is_invalid() -> None:
    for position in range(len(HEADER)):
        replacement = "0" if HEADER[position] != "0" else "1"
        changed = HEADER[:position] + replacement + HEADER[position + 1 :]
        assert check_signature(BODY, changed, SECRET) is SignatureCheck.INVALID, position


@pytest.mark.parametrize(
    "header",
    [HEADER.upper(), HEADER.removeprefix("sha256="), "sha1=" + HEADER[7:47], "", " " + HEADER, HEADER + "00"],
)
def test_other_spellings_are_invalid(header: str) -> None:
    assert check_signature(BODY, header, SECRET) is SignatureCheck.INVALID


def test_wrong_secret_missing_header_and_no_secret() -> None:
    assert check_signature(BODY, HEADER, SECRET[:-1] + "7") is SignatureCheck.INVALID
    assert check_signature(BODY, None, SECRET) is SignatureCheck.MISSING
    # An empty key is no key: anyone could sign with it.
    assert check_signature(BODY, sign(BODY, ""), "") is SignatureCheck.INVALID


@pytest.mark.parametrize(
    "reserialise",
    [
        lambda data: json.dumps(data),
        lambda data: json.dumps(data, separators=(",", ":"), sort_keys=True),
        lambda data: json.dumps(data, separators=(",", ":"), ensure_ascii=False, indent=None) + "\n",
    ],
)
def test_re_serialised_json_is_invalid(reserialise) -> None:
    again = reserialise(json.loads(BODY)).encode()
    assert json.loads(again) == json.loads(BODY)
    assert check_signature(again, HEADER, SECRET) is SignatureCheck.INVALID


def test_verify_token() -> None:
    assert check_verify_token("tok-123", "tok-123")
    assert not check_verify_token("tok-124", "tok-123")
    assert not check_verify_token(None, "tok-123")
    assert not check_verify_token("", "")  # nothing configured: nothing matches
    assert not check_verify_token("tök", "tok")
