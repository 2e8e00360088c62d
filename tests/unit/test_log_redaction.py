"""The redaction filter keeps PHI, codes, tokens and secrets out of log lines."""

from __future__ import annotations

import io
import json
import logging

import pytest

from entrypoints.config import load_settings
from entrypoints.logging_setup import JsonFormatter, secret_values
from entrypoints.observability import context
from entrypoints.observability.redaction import RedactingFilter, redact

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


@pytest.mark.parametrize(
    ("line", "leak"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        (f"token={JWT}", JWT),
        ("sent code 482913 to user", "482913"),
        ("patient ann.lee@example.com wrote", "ann.lee"),
        ("calling +14155550123 now", "4155550123"),
        (
            "refresh=Zq3xKp9vR2mW7tYb4nC8dF6hJ1sL5gA0eU3iO9yT2wQ",
            "Zq3xKp9vR2mW7tYb4nC8dF6hJ1sL5gA0eU3iO9yT2wQ",
        ),
    ],
)
def test_sensitive_values_are_removed(line: str, leak: str) -> None:
    assert leak not in redact(line)


def test_useful_context_survives() -> None:
    text = redact("GET /api/v1/clinics 200 4.5ms request_id=abc123 for ann@example.com +14155550123")
    assert "GET /api/v1/clinics 200" in text and "example.com" in text and text.endswith("23")


def test_configured_secrets_and_tracebacks_are_redacted(tmp_path) -> None:
    settings = load_settings(
        {"JWT_SECRET": "a-very-secret-signing-key-value-000"}, base_dir=tmp_path, in_container=False
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(secret_values(settings)))
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    token = context.request_id.set("req-1")
    try:
        try:
            raise ValueError("key a-very-secret-signing-key-value-000 and code 123456")
        except ValueError:
            logger.exception("failed for %s", "bob@example.org")
    finally:
        context.request_id.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["requestId"] == "req-1"
    dump = json.dumps(line)
    for leak in ("a-very-secret-signing-key-value-000", "123456", "bob@"):
        assert leak not in dump
    assert "ValueError" in line["exception"]
