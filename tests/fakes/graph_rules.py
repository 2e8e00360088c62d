"""What the fake Graph API checks and answers: its template registry, Graph's error bodies, the
broken answers it can inject, and its messages-per-second window."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import deque
from typing import Any

from fakes.graph_records import Accepted, Answer, Malformed, TemplateSpec

# The templates named by the settings' defaults, in their default language.
DEFAULT_TEMPLATES: dict[tuple[str, str], TemplateSpec] = {
    ("otp_code", "en_US"): TemplateSpec(1, 1),
    ("appointment_confirmation", "en_US"): TemplateSpec(2),
    ("appointment_reminder", "en_US"): TemplateSpec(2),
    ("appointment_cancellation", "en_US"): TemplateSpec(2),
    ("prescription_ready", "en_US"): TemplateSpec(2),
}

TITLES = {
    0: "AuthException",
    1: "API Unknown",
    2: "API Service",
    4: "API Too Many Calls",
    10: "Permission Denied",
    100: "Invalid parameter",
    190: "Access token has expired",
    80007: "Rate limit issues",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131008: "Required parameter is missing",
    131009: "Parameter value is not valid",
    131016: "Service unavailable",
    131026: "Message Undeliverable",
    131047: "Re-engagement message",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    131057: "Account in maintenance mode",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template name does not exist in the translation",
    132015: "Template is Paused",
    132016: "Template is Disabled",
}


def graph_error(code: int, http_status: int, title: str | None = None) -> Answer:
    text = title or TITLES.get(code, "Error")
    error = {
        "message": f"(#{code}) {text}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": text},
        "fbtrace_id": "Afake" + uuid.uuid4().hex[:16],
    }
    return Answer(http_status, json.dumps({"error": error}).encode(), outcome=f"error {code}")


def malformed_answer(kind: Malformed) -> Answer:
    if kind is Malformed.HTML_502:
        page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
        return Answer(502, page, "text/html", outcome=kind.value)
    if kind is Malformed.EMPTY_503:
        return Answer(503, b"", "text/plain", outcome=kind.value)
    if kind is Malformed.TRUNCATED_JSON:
        return Answer(200, b'{"messaging_product":"whatsapp","contacts":[{"input":"1555', outcome=kind.value)
    body = {"messaging_product": "whatsapp", "contacts": [{"input": "15550001111", "wa_id": "15550001111"}]}
    return Answer(200, json.dumps(body).encode(), outcome=kind.value)


def success(accepted: Accepted) -> Answer:
    body = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": accepted.to, "wa_id": accepted.to}],
        "messages": [{"id": accepted.wamid, "message_status": "accepted"}],
    }
    return Answer(200, json.dumps(body).encode())


def _texts(parameters: list[dict[str, Any]]) -> list[str] | None:
    texts = [p.get("text") for p in parameters if p.get("type") == "text"]
    if len(texts) != len(parameters) or not all(isinstance(t, str) and t for t in texts):
        return None
    return [str(t) for t in texts]


def check_template(
    payload: Any, templates: dict[tuple[str, str], TemplateSpec]
) -> tuple[Answer | None, Accepted | None]:
    """Graph's refusal of a template message, or what it accepts."""
    if not isinstance(payload, dict) or payload.get("messaging_product") != "whatsapp":
        return graph_error(100, 400, "The parameter messaging_product is required"), None
    to, template = payload.get("to"), payload.get("template")
    if payload.get("type") != "template" or not isinstance(template, dict):
        return graph_error(100, 400, "Only template messages are faked"), None
    if not isinstance(to, str) or not to.isdigit():
        return graph_error(100, 400, "Invalid parameter: to"), None
    name, language = template.get("name"), (template.get("language") or {}).get("code")
    spec = templates.get((str(name), str(language)))
    if spec is None:
        return graph_error(132001, 404), None
    body: list[str] = []
    button: list[str] = []
    for component in template.get("components") or []:
        texts = _texts(component.get("parameters") or [])
        if texts is None:
            return graph_error(131008, 400), None
        if component.get("type") == "body":
            body += texts
        elif component.get("type") == "button" and component.get("sub_type") == "url":
            button += texts
    if len(body) != spec.body_parameters or len(button) != spec.button_parameters:
        return graph_error(132000, 400), None
    wamid = "wamid." + base64.b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
    callback = payload.get("biz_opaque_callback_data")
    accepted = Accepted(
        wamid=wamid,
        to=to,
        template=str(name),
        language=str(language),
        body_parameters=body,
        button_parameters=button,
        callback_data=callback if isinstance(callback, str) else None,
    )
    return None, accepted


class RateWindow:
    """At most ``limit`` hits in any sliding second (None: no limit). Thread-safe."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def hit(self) -> bool:
        if self.limit is None:
            return True
        now = time.monotonic()
        with self._lock:
            while self._hits and now - self._hits[0] >= 1.0:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                return False
            self._hits.append(now)
            return True

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()
