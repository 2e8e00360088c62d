"""Every profile wires the outbox, its channels and the relay (no services running)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console.channel import ConsoleChannel
from adapters.email.smtp_channel import SmtpEmailChannel
from adapters.memory.recording_channel import RecordingChannel
from application.messaging.relay_messages import RelayMessages
from application.messaging.retry_message import RetryMessage
from application.ports.messaging import Channels, DeliveryStatuses, Outbox
from application.ports.outbox_admin import OutboxAdmin
from domain.messaging import Channel
from entrypoints.config import Profile, load_settings
from entrypoints.ioc.profiles import build_container
from entrypoints.worker import BackgroundRelay, RelayLoop

PRODUCTION_SECRETS = {
    "JWT_SECRET": "p" * 40,
    "SECURITY_PHI_ENCRYPTION_KEY": "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
    "SECURITY_BLIND_INDEX_KEY": "b" * 40,
    "SECURITY_AUDIT_KEY": "a" * 40,
    "SECURITY_OTP_HASH_KEY": "o" * 40,
}
CHANNELS = {
    Profile.MEMORY: {Channel.EMAIL: RecordingChannel, Channel.WHATSAPP: RecordingChannel},
    Profile.EMBEDDED: {Channel.EMAIL: ConsoleChannel, Channel.WHATSAPP: ConsoleChannel},
    # WhatsApp in production is the WhatsApp slot's (entrypoints.ioc.messaging): empty until plugged.
    Profile.PRODUCTION: {Channel.EMAIL: SmtpEmailChannel},
}


@pytest.mark.parametrize("profile", list(Profile))
async def test_every_profile_wires_messaging(profile: Profile, tmp_path: Path) -> None:
    environ = {"APP_PROFILE": profile.value, "APP_DATA_DIR": str(tmp_path), **PRODUCTION_SECRETS}
    container = build_container(load_settings(environ, base_dir=tmp_path, in_container=False))
    try:
        channels = await container.get(Channels)
        assert {c: type(ch) for c, ch in channels.by_channel.items()} == CHANNELS[profile]
        assert isinstance(await container.get(RelayMessages), RelayMessages)
        assert isinstance(await container.get(RelayLoop), RelayLoop)
        assert await container.get(DeliveryStatuses) is not None
        background = await container.get(BackgroundRelay)
        assert not background.running  # the app starts it; only the embedded one does anything
        async with container() as request:
            for dependency in (Outbox, OutboxAdmin, RetryMessage):
                assert await request.get(dependency) is not None
    finally:
        await container.close()


async def test_smtp_email_can_be_chosen_on_the_embedded_profile(tmp_path: Path) -> None:
    environ = {"APP_DATA_DIR": str(tmp_path), "EMAIL_PROVIDER": "smtp"}
    container = build_container(load_settings(environ, base_dir=tmp_path, in_container=False))
    try:
        assert isinstance((await container.get(Channels)).get(Channel.EMAIL), SmtpEmailChannel)
    finally:
        await container.close()
