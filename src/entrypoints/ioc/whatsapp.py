"""The WhatsApp Cloud API channel: one pooled httpx client per process, closed on shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dishka import Provider, Scope, decorate

from adapters.whatsapp.channel import WhatsAppCloudChannel, WhatsAppOptions, create_http_client
from adapters.whatsapp.payloads import TemplateNames
from domain.messaging import Template
from entrypoints.config import Settings
from entrypoints.ioc.messaging import WhatsAppSlot


def whatsapp_options(settings: Settings) -> WhatsAppOptions:
    whatsapp = settings.whatsapp
    return WhatsAppOptions(
        api_url=whatsapp.api_url,
        api_version=whatsapp.api_version,
        access_token=whatsapp.access_token,
        phone_number_id=whatsapp.phone_number_id,
        templates=TemplateNames(
            names={
                Template.OTP: whatsapp.otp_template,
                Template.APPOINTMENT_CONFIRMATION: whatsapp.appointment_confirmation_template,
                Template.APPOINTMENT_REMINDER: whatsapp.appointment_reminder_template,
                Template.APPOINTMENT_CANCELLATION: whatsapp.appointment_cancellation_template,
                Template.PRESCRIPTION_NOTICE: whatsapp.prescription_notice_template,
            },
            language=whatsapp.template_language,
        ),
        messages_per_second=whatsapp.messages_per_second,
        connect_timeout_seconds=whatsapp.connect_timeout_seconds,
        request_timeout_seconds=whatsapp.request_timeout_seconds,
    )


@asynccontextmanager
async def whatsapp_channel(settings: Settings) -> AsyncIterator[WhatsAppCloudChannel]:
    """The Cloud API channel over its own pooled httpx client, closed on exit."""
    options = whatsapp_options(settings)
    async with create_http_client(options) as client:
        yield WhatsAppCloudChannel(client, options)


class WhatsAppProvider(Provider):
    """Plugs the Cloud API channel into the messaging providers' WhatsApp slot when
    WHATSAPP_ENABLED is true; otherwise leaves the slot as they made it. List it after them."""

    scope = Scope.APP

    @decorate
    async def slot(self, slot: WhatsAppSlot, settings: Settings) -> AsyncIterator[WhatsAppSlot]:
        if not settings.whatsapp.enabled:
            yield slot
            return
        async with whatsapp_channel(settings) as channel:
            yield WhatsAppSlot(channel)
