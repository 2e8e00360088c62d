import pytest

from domain.contact import Email, PhoneNumber
from domain.errors import InvalidEmail, InvalidPhone


@pytest.mark.parametrize("text", ["a@example.com", "First.Last+tag@Sub.Example.ORG", "  x@y.io  "])
def test_valid_emails_are_normalised(text: str) -> None:
    email = Email(text)
    _local, domain = email.value.split("@")
    assert domain == domain.lower()
    assert email.value == email.value.strip()


@pytest.mark.parametrize(
    "text", ["", "no-at", "a@b", "a b@c.com", "@example.com", "a@.com", "x" * 250 + "@e.com"]
)
def test_invalid_emails_are_refused(text: str) -> None:
    with pytest.raises(InvalidEmail) as raised:
        Email(text)
    assert raised.value.code == "INVALID_EMAIL"


def test_email_identity_ignores_case() -> None:
    assert Email("Ann@Example.com").lookup_key == Email("ann@example.COM").lookup_key


@pytest.mark.parametrize(
    ("text", "expected"), [("+49 30 1234567", "+49301234567"), ("+1 (415) 555-0123", "+14155550123")]
)
def test_phone_numbers_are_e164(text: str, expected: str) -> None:
    assert PhoneNumber(text).value == expected


@pytest.mark.parametrize(
    "text", ["", "4930123456", "+0123456789", "+12", "+1234567890123456", "+49abc1234567"]
)
def test_invalid_phone_numbers_are_refused(text: str) -> None:
    with pytest.raises(InvalidPhone):
        PhoneNumber(text)


def test_masked_phone_shows_only_the_last_two_digits() -> None:
    masked = PhoneNumber("+14155550123").masked
    assert masked.endswith("23")
    assert "415555" not in masked
