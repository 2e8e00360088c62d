"""Process-wide logging: console lines or one JSON object per line, always redacted."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from entrypoints.config import Settings, settings_catalogue
from entrypoints.config.sections import LogFormat
from entrypoints.observability import context
from entrypoints.observability.redaction import RedactingFilter


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request, user and clinic of the line when known."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (
            ("requestId", context.request_id),
            ("userId", context.user_id),
            ("clinicId", context.clinic_id),
        ):
            value = var.get()
            if value:
                line[key] = value
        if record.exc_text:
            line["exception"] = record.exc_text
        elif record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def secret_values(settings: Settings) -> list[str]:
    """The values of every secret setting, for the redaction filter."""
    values = []
    for info in settings_catalogue():
        if info.secret:
            value = getattr(getattr(settings, info.section), info.field)
            values.extend(value if isinstance(value, tuple) else [str(value)])
    return values


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter(secret_values(settings)))
    if settings.logging.format is LogFormat.JSON:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(str(settings.logging.level))
