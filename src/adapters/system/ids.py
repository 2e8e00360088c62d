"""IdGenerator over uuid-utils' UUIDv7."""

from __future__ import annotations

from uuid import UUID

import uuid_utils

from application.ports.clock import IdGenerator


class UuidV7Generator(IdGenerator):
    def new_id(self) -> UUID:
        return UUID(bytes=uuid_utils.uuid7().bytes)
