"""Private copies of cached values, so that no two callers ever share a mutable object.

The in-process layer keeps one instance per key and hands out copies made by a copier compiled
once per type from its annotations:
- immutable values (numbers, strings, UUIDs, dates and times, enums, tuples and frozensets of
  immutables, frozen dataclasses of immutable fields) are handed out as they are;
- dataclasses whose fields can be copied are rebuilt field by field, sharing the immutable
  parts: about 1 us for a ten-field record, where decoding one costs 2.5 us (bench/cache.py);
- lists, sequences, sets and dicts are rebuilt around copies of their items.
A type with no copier (``None``) is kept encoded and decoded on every hit instead.
"""

from __future__ import annotations

import copy as copy_module
import dataclasses
import enum
import types
import typing
from collections import abc
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar
from uuid import UUID

Copier = Callable[[Any], Any]
_ATOMS = (type(None), bool, int, float, complex, str, bytes, UUID, datetime, date, time, timedelta, Decimal)
_SEQUENCES = (list, abc.Sequence, abc.MutableSequence, abc.Collection, abc.Iterable)
_MAPPINGS = (dict, abc.Mapping, abc.MutableMapping)


def identity(value: Any) -> Any:
    return value


@lru_cache(maxsize=512)
def copier_for(hint: Any) -> Copier | None:
    """The copier of values of ``hint`` (``identity`` for immutable ones), or None."""
    try:
        return _compile(hint, {}, frozenset())
    except (NameError, TypeError):  # annotations that do not resolve: keep such values encoded
        return None


def _compile(hint: Any, env: dict[Any, Any], seen: frozenset[Any]) -> Copier | None:
    if isinstance(hint, TypeVar):
        hint = env.get(hint, Any)
    if hint is None or hint is type(None):
        return identity
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return identity
    if origin in (typing.Union, types.UnionType):
        return _union(args, env, seen)
    if origin is None and isinstance(hint, type):
        if issubclass(hint, _ATOMS) or issubclass(hint, enum.Enum):
            return identity
        if dataclasses.is_dataclass(hint):
            return _dataclass(hint, (), env, seen)
        return None
    items = [_compile(a, env, seen) for a in args if a is not Ellipsis]
    if any(item is None for item in items):
        return None
    if origin is tuple or origin is frozenset:
        return identity if all(i is identity for i in items) else _rebuilt(origin, items[0])
    if origin in _SEQUENCES:
        return _sequence(items[0] if items else None)
    if origin in (set, abc.MutableSet, abc.Set):
        return _rebuilt(set, items[0]) if items else None
    if origin in _MAPPINGS and len(items) == 2 and items[0] is identity:
        value = items[1]
        assert value is not None
        return dict if value is identity else (lambda v: {k: value(x) for k, x in v.items()})
    if isinstance(origin, type) and dataclasses.is_dataclass(origin):
        return _dataclass(origin, args, env, seen)
    return None


def _union(args: tuple[Any, ...], env: dict[Any, Any], seen: frozenset[Any]) -> Copier | None:
    parts = [(a, _compile(a, env, seen)) for a in args]
    if any(part is None for _, part in parts):
        return None
    if all(part is identity for _, part in parts):
        return identity
    others = [part for a, part in parts if a is not type(None)]
    if len(others) != 1:
        return None  # which member a value is would need checking on every hit: keep it encoded
    only = others[0]
    assert only is not None
    return lambda v: None if v is None else only(v)


def _rebuilt(kind: type, item: Copier | None) -> Copier | None:
    if item is None:
        return None
    return lambda v: kind(map(item, v))


def _sequence(item: Copier | None) -> Copier | None:
    if item is None:
        return None
    if item is identity:
        return lambda v: v if type(v) is tuple else list(v)
    return lambda v: tuple(map(item, v)) if type(v) is tuple else list(map(item, v))


def _dataclass(cls: type, args: tuple[Any, ...], env: dict[Any, Any], seen: frozenset[Any]) -> Copier | None:
    if cls in seen:
        return None  # a recursive type: keep it encoded rather than recurse without end
    params = getattr(cls, "__parameters__", ())
    inner = dict(zip(params, [env.get(a, a) if isinstance(a, TypeVar) else a for a in args], strict=False))
    hints = typing.get_type_hints(cls)
    fields = [
        (f.name, _compile(hints.get(f.name, Any), inner, seen | {cls})) for f in dataclasses.fields(cls)
    ]
    if any(part is None for _, part in fields):
        return None
    frozen = cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    if frozen and all(part is identity for _, part in fields):
        return identity
    return _rebuilder(cls, fields)


def _rebuilder(cls: type, fields: list[tuple[str, Copier | None]]) -> Copier:
    """A function rebuilding ``cls`` field by field, generated like dataclasses' own __init__:
    straight-line attribute copies run about five times faster than a loop over the fields."""
    direct = cls.__setattr__ is object.__setattr__  # type: ignore[comparison-overlap]
    lines = ["def rebuild(value):", "    if type(value) is not cls:", "        return deepcopy(value)"]
    lines.append("    out = new(cls)")
    namespace: dict[str, Any] = {"cls": cls, "new": object.__new__, "assign": object.__setattr__}
    namespace["deepcopy"] = copy_module.deepcopy  # a subclass may hold more than the annotations say
    for index, (name, part) in enumerate(fields):
        read = f"value.{name}" if part is identity else f"copy_{index}(value.{name})"
        namespace[f"copy_{index}"] = part
        lines.append(f"    out.{name} = {read}" if direct else f"    assign(out, {name!r}, {read})")
    lines.append("    return out")
    exec("\n".join(lines), namespace)  # noqa: S102 - field names are identifiers of the class
    return namespace["rebuild"]  # type: ignore[no-any-return]
