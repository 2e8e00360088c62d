"""Graph API request and response bodies for template messages, and how a Template becomes one.

Each logical Template maps to an approved WhatsApp template (its name comes from settings) whose
body variables ``{{1}}``, ``{{2}}``... are filled from the message's parameters in the order of
BODY_PARAMETERS. The OTP template is an authentication template: its body takes the code, and its
copy-code button takes the code again as the button's URL parameter. Every message carries our
own id as ``biz_opaque_callback_data``, which Graph echoes in its status webhooks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec

from application.ports.messaging import PermanentSendFailure
from domain.messaging import OutboundMessage, Template

# The same parameter names as every channel (adapters/email/templates.py), so a use case fills one
# set. Kept to the minimum a patient needs to act: no name, no doctor (a specialty can disclose a
# condition), no diagnosis, no medication; the prescription itself sits behind the signed link.
BODY_PARAMETERS: Mapping[Template, tuple[str, ...]] = {
    Template.OTP: ("code",),
    Template.APPOINTMENT_CONFIRMATION: ("clinic_name", "starts_at"),
    Template.APPOINTMENT_REMINDER: ("clinic_name", "starts_at"),
    Template.APPOINTMENT_CANCELLATION: ("clinic_name", "starts_at"),
    Template.PRESCRIPTION_NOTICE: ("clinic_name", "link"),
}
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateNames:
    """The approved template name of each logical Template, and their language code."""

    names: Mapping[Template, str]
    language: str


class TextParameter(msgspec.Struct, kw_only=True):
    type: str = "text"
    text: str


class Component(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: str
    sub_type: str | None = None
    index: str | None = None
    parameters: list[TextParameter]


class Language(msgspec.Struct):
    code: str


class TemplateBody(msgspec.Struct):
    name: str
    language: Language
    components: list[Component]


class TemplateMessage(msgspec.Struct, kw_only=True):
    messaging_product: str = "whatsapp"
    recipient_type: str = "individual"
    to: str
    type: str = "template"
    template: TemplateBody
    # Echoed in every status webhook: finds a message whose send timed out before its wamid came back.
    biz_opaque_callback_data: str


class GraphError(msgspec.Struct):
    code: int | None = None
    message: str = ""
    type: str = ""
    error_subcode: int | None = None
    is_transient: bool | None = None


class SentMessage(msgspec.Struct):
    id: str


class SentContact(msgspec.Struct):
    wa_id: str = ""


class GraphReply(msgspec.Struct):
    """Either a success (``messages``, ``contacts``) or an ``error``; unknown fields are ignored."""

    messages: list[SentMessage] | None = None
    contacts: list[SentContact] = msgspec.field(default_factory=list)
    error: GraphError | None = None


def graph_number(recipient: str) -> str:
    """An E.164 number as Graph wants it: digits only, no ``+``."""
    if not _E164.match(recipient):
        raise PermanentSendFailure("recipient is not an E.164 phone number")
    return recipient[1:]


def _text(message: OutboundMessage, key: str) -> TextParameter:
    # Graph refuses new lines, tabs and runs of spaces in parameters; an empty one is missing.
    value = " ".join(message.parameters.get(key, "").split())
    if not value:
        raise PermanentSendFailure(f"template parameter {key!r} is missing")
    return TextParameter(text=value)


def template_message(message: OutboundMessage, templates: TemplateNames) -> TemplateMessage:
    """The Graph body sending ``message``; PermanentSendFailure when it can never be built (an
    unmapped template, a missing parameter, a recipient that is not E.164)."""
    name = templates.names.get(message.template)
    order = BODY_PARAMETERS.get(message.template)
    if not name or order is None:
        raise PermanentSendFailure(f"no WhatsApp template for {message.template.value}")
    body = [_text(message, key) for key in order]
    components = [Component(type="body", parameters=body)]
    if message.template is Template.OTP:
        components.append(
            Component(type="button", sub_type="url", index="0", parameters=[_text(message, "code")])
        )
    return TemplateMessage(
        to=graph_number(message.recipient),
        template=TemplateBody(name=name, language=Language(templates.language), components=components),
        biz_opaque_callback_data=str(message.id),
    )
