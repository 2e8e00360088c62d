"""WHATSAPP_ENABLED puts the Cloud API channel in the channel registry, with its own pooled client
closed with the container; without it the registry keeps what the messaging providers chose."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.whatsapp.channel import WhatsAppCloudChannel
from application.ports.messaging import Channels
from domain.messaging import Channel
from entrypoints.config import Profile, load_settings
from entrypoints.ioc.profiles import build_container

PRODUCTION_SECRETS = {
    "JWT_SECRET": "p" * 40,
    "SECURITY_PHI_ENCRYPTION_KEY": "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
    "SECURITY_BLIND_INDEX_KEY": "b" * 40,
    "SECURITY_AUDIT_KEY": "a" * 40,
    "SECURITY_OTP_HASH_KEY": "o" * 40,
}
ENABLED = {
    "WHATSAPP_ENABLED": "true",
    "WHATSAPP_ACCESS_TOKEN": "token",
    "WHATSAPP_PHONE_NUMBER_ID": "1234567890",
    "WHATSAPP_APP_SECRET": "s" * 32,
    "WHATSAPP_WEBHOOK_VERIFY_TOKEN": "v" * 16,
}


def settings_for(profile: Profile, tmp_path: Path, **extra: str):
    environ = {"APP_PROFILE": profile.value, "APP_DATA_DIR": str(tmp_path), **PRODUCTION_SECRETS, **extra}
    return load_settings(environ, base_dir=tmp_path, in_container=False)


@pytest.mark.parametrize("profile", [Profile.EMBEDDED, Profile.PRODUCTION])
async def test_enabled_whatsapp_is_the_cloud_api_channel(profile: Profile, tmp_path: Path) -> None:
    container = build_container(settings_for(profile, tmp_path, **ENABLED))
    try:
        channel = (await container.get(Channels)).get(Channel.WHATSAPP)
        assert isinstance(channel, WhatsAppCloudChannel)
        client = channel._client
        assert not client.is_closed
    finally:
        await container.close()
    assert client.is_closed


@pytest.mark.parametrize(
    ("profile", "expected"), [(Profile.EMBEDDED, "ConsoleChannel"), (Profile.PRODUCTION, None)]
)
async def test_disabled_whatsapp_leaves_the_slot_alone(
    profile: Profile, expected: str | None, tmp_path: Path
) -> None:
    container = build_container(settings_for(profile, tmp_path))
    try:
        channel = (await container.get(Channels)).get(Channel.WHATSAPP)
        assert (type(channel).__name__ if channel is not None else None) == expected
    finally:
        await container.close()
