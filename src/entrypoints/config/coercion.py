"""Turning one raw string from the environment or a .env file into a typed value.

- Booleans: true/false, 1/0, yes/no, on/off, in any case.
- Enumerations: matched case-insensitively, stored as the canonical member.
- Lists: comma-separated; items are stripped and blank items dropped.
- Numbers must be finite and within the field's bounds; strings are taken as they are.
"""

import math
from enum import StrEnum
from typing import Any

from entrypoints.config.catalogue import FieldRef, expectation, shown

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class InvalidValue(ValueError):
    """The value does not fit the field; the text is ready for the error report."""


def _refuse(ref: FieldRef, raw: str, expected: str | None = None) -> InvalidValue:
    text = f"expected {expected or expectation(ref)}"
    # A secret's value never reaches a message, not even a wrong one.
    return InvalidValue(text if ref.secret else f"{text}, got {shown(ref, raw)!r}")


def _in_bounds(ref: FieldRef, value: float) -> bool:
    low, high = ref.meta("minimum"), ref.meta("maximum")
    return (low is None or value >= low) and (high is None or value <= high)


def _number(ref: FieldRef, raw: str, kind: type[int] | type[float]) -> int | float:
    try:
        value = kind(raw.strip())
    except ValueError:
        raise _refuse(ref, raw) from None
    if not math.isfinite(value) or not _in_bounds(ref, value):
        raise _refuse(ref, raw)
    return value


def _checked(ref: FieldRef, item: str) -> str:
    check = ref.meta("check")
    problem = check(item) if check is not None else None
    if problem is not None:
        raise _refuse(ref, item, expected=problem.removeprefix("expected "))
    return item


def coerce(ref: FieldRef, raw: str) -> Any:
    """The typed value of `raw` for the field, or InvalidValue saying what was expected."""
    tp = ref.type
    if tp is bool:
        lowered = raw.strip().lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise _refuse(ref, raw)
    if tp is int or tp is float:
        return _number(ref, raw, tp)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        by_name = {member.value.lower(): member for member in tp}
        try:
            return by_name[raw.strip().lower()]
        except KeyError:
            raise _refuse(ref, raw) from None
    if tp == tuple[str, ...]:
        return tuple(_checked(ref, item.strip()) for item in raw.split(",") if item.strip())
    return _checked(ref, raw)
