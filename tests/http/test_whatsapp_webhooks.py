"""The WhatsApp webhook routes through the app: the subscription handshake, and signatures
checked on the raw bytes (the real delivery of the test vector, our own, and forgeries)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from http_api import Api, assert_error, embedded_settings, open_api
from whatsapp_api import VECTOR, VERIFY_TOKEN, WEBHOOK_SECRETS, open_webhook_api, signed

from fakes.graph_webhooks import WEBHOOK_PATH


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async for ready in open_webhook_api(tmp_path):
        yield ready


# The handshake ---------------------------------------------------------------------------------
async def test_handshake_echoes_the_challenge_as_plain_text(api: Api) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = await api.client.get(WEBHOOK_PATH, params=query)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "9" * 300},
        {},
    ],
)
async def test_any_other_handshake_is_403(api: Api, query: dict[str, str]) -> None:
    assert_error(await api.client.get(WEBHOOK_PATH, params=query), 403, "WEBHOOK_VERIFICATION_FAILED")


async def test_without_a_configured_token_no_handshake_succeeds(tmp_path: Path) -> None:
    async for api in open_api(embedded_settings(tmp_path)):
        query = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        assert_error(await api.client.get(WEBHOOK_PATH, params=query), 403, "WEBHOOK_VERIFICATION_FAILED")


# Signatures ------------------------------------------------------------------------------------
async def test_the_real_delivery_is_accepted_with_its_secret(tmp_path: Path) -> None:
    settings = embedded_settings(tmp_path, WHATSAPP_APP_SECRET=VECTOR["app_secret"])
    body = VECTOR["body"].encode()
    async for api in open_api(settings):
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": VECTOR["x_hub_signature_256"]}
        response = await api.client.post(WEBHOOK_PATH, content=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"statuses": 0, "applied": 0}
        again = json.dumps(json.loads(body)).encode()  # the same JSON, re-serialised
        assert_error(
            await api.client.post(WEBHOOK_PATH, content=again, headers=headers),
            403,
            "WEBHOOK_SIGNATURE_INVALID",
        )


async def test_our_own_signed_notification_is_accepted_without_a_bearer_token(api: Api) -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    response = await api.client.post(WEBHOOK_PATH, content=body, headers=signed(body))
    assert response.status_code == 200
    assert response.json() == {"statuses": 0, "applied": 0}


async def test_forgeries_are_refused(api: Api) -> None:
    body = VECTOR["body"].encode()
    headers = signed(body)
    for position in (0, 1, len(body) // 2, len(body) - 1):
        changed = bytearray(body)
        changed[position] ^= 0x20
        response = await api.client.post(WEBHOOK_PATH, content=bytes(changed), headers=headers)
        assert_error(response, 403, "WEBHOOK_SIGNATURE_INVALID")
    wrong = signed(body, "another-secret")
    assert_error(
        await api.client.post(WEBHOOK_PATH, content=body, headers=wrong), 403, "WEBHOOK_SIGNATURE_INVALID"
    )
    missing = {"Content-Type": "application/json"}
    assert_error(
        await api.client.post(WEBHOOK_PATH, content=body, headers=missing), 401, "INVALID_CREDENTIALS"
    )


async def test_without_a_configured_secret_nothing_is_accepted(tmp_path: Path) -> None:
    body = VECTOR["body"].encode()
    async for api in open_api(embedded_settings(tmp_path)):
        response = await api.client.post(WEBHOOK_PATH, content=body, headers=signed(body, ""))
        assert_error(response, 403, "WEBHOOK_SIGNATURE_INVALID")


async def test_a_signed_body_that_is_no_notification_is_400(api: Api) -> None:
    body = b'{"entry": "not a list"}'
    assert_error(
        await api.client.post(WEBHOOK_PATH, content=body, headers=signed(body)), 400, "VALIDATION_ERROR"
    )


async def test_webhook_routes_document_their_errors(api: Api) -> None:
    document = (await api.client.get("/api/v1/schema/openapi.json")).json()
    item = document["paths"][WEBHOOK_PATH]
    assert {"403", "500", "503"} <= set(item["get"]["responses"])
    assert {"400", "401", "403", "413", "415", "500", "503"} <= set(item["post"]["responses"])
    assert "security" not in item["post"]


async def test_delivery_webhooks_are_not_counted_against_the_address_limit(tmp_path: Path) -> None:
    """Meta sends statuses in bursts from a few addresses; the signature authenticates them."""
    settings = embedded_settings(tmp_path, RATE_LIMIT_REQUESTS_PER_MINUTE="2", **WEBHOOK_SECRETS)
    async for api in open_api(settings):
        body = b'{"object":"whatsapp_business_account","entry":[]}'
        for _ in range(5):
            response = await api.client.post(WEBHOOK_PATH, content=body, headers=signed(body))
            assert response.status_code == 200
        for _ in range(2):
            await api.client.get("/api/v1/clinics")
        assert_error(await api.client.get("/api/v1/clinics"), 429, "RATE_LIMITED")
