"""Reflection over the settings dataclasses: keys, expected types, documented defaults."""

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from entrypoints.config.sections import SECTIONS, env_key


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingInfo:
    """One documented setting: `default` is the text shown in docs, not necessarily a literal value."""

    key: str
    section: str
    field: str
    type: str
    default: str
    secret: bool
    description: str


@dataclass(frozen=True, slots=True)
class FieldRef:
    section: str
    field: dataclasses.Field[Any]

    @property
    def key(self) -> str:
        return env_key(self.section, self.field.name)

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def type(self) -> Any:
        return self.field.type

    @property
    def secret(self) -> bool:
        return bool(self.field.metadata["secret"])

    def meta(self, name: str) -> Any:
        return self.field.metadata[name]


def iter_fields() -> Iterator[FieldRef]:
    """Every setting field, in declaration order (sections, then fields)."""
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            yield FieldRef(section, f)


FIELDS: Mapping[str, FieldRef] = MappingProxyType({ref.key: ref for ref in iter_fields()})


def _bounds(ref: FieldRef) -> str:
    low, high = ref.meta("minimum"), ref.meta("maximum")
    if low is not None and high is not None:
        return f" from {low:g} to {high:g}"
    if low is not None:
        return f" >= {low:g}"
    if high is not None:
        return f" <= {high:g}"
    return ""


def type_description(ref: FieldRef) -> str:
    """The field's type as documented: "integer from 1 to 65535", "one of json, console", ..."""
    tp = ref.type
    if tp is bool:
        return "boolean"
    if tp is int:
        return "integer" + _bounds(ref)
    if tp is float:
        return "number" + _bounds(ref)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return "one of " + ", ".join(member.value for member in tp)
    if tp == tuple[str, ...]:
        return "comma-separated list"
    return "string"


def expectation(ref: FieldRef) -> str:
    """What a value must look like, as the object of "expected ..."."""
    kind = type_description(ref)
    if ref.type is bool:
        return "a boolean (true/false, 1/0, yes/no, on/off)"
    if kind.startswith("one of"):
        return kind
    return ("an " if kind.startswith("integer") else "a ") + kind


def format_value(value: Any) -> str:
    """A value written as it would be in a .env file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def settings_catalogue() -> list[SettingInfo]:
    """Every setting, in declaration order, as documented in the README table."""
    infos = []
    for ref in iter_fields():
        doc_default = ref.meta("doc_default")
        infos.append(
            SettingInfo(
                key=ref.key,
                section=ref.section,
                field=ref.name,
                type=type_description(ref),
                default=doc_default if doc_default is not None else format_value(ref.field.default),
                secret=ref.secret,
                description=ref.meta("description"),
            )
        )
    return infos


MASK = "********"


def shown(ref: FieldRef, text: str) -> str:
    """Text safe to print: secrets masked (empty stays empty), passwords in URLs masked."""
    if ref.secret:
        return MASK if text else ""
    return mask_url_password(text)


def mask_url_password(text: str) -> str:
    """`scheme://user:secret@host/db` -> `scheme://user:********@host/db`; the scheme is optional."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    # The last "@" ends the user info, so an unencoded "@" or "/" in a password stays masked.
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return text
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user}:{MASK}@{host}"
