"""The rules every cached read's key follows, checked over every ``@cached`` method of the
application: a tenant's data (a read taking ``clinic_id``) is keyed by its clinic, and a key
holds nothing a person could be recognised by (ids, paging and time bounds, or keyed hashes)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import string
from collections.abc import Callable, Iterator
from typing import Any

import application

PLAIN = {"after", "limit", "start", "end"}  # paging and time bounds: never about a person


def cached_reads() -> Iterator[tuple[str, Callable[..., Any], str, tuple[str, ...]]]:
    for module in pkgutil.walk_packages(application.__path__, "application."):
        loaded = importlib.import_module(module.name)
        for owner in vars(loaded).values():
            if not inspect.isclass(owner) or owner.__module__ != loaded.__name__:
                continue
            for name, member in vars(owner).items():
                templates = getattr(member, "cache_templates", None)
                if templates is not None:
                    yield f"{owner.__qualname__}.{name}", member, *templates


def fields(template: str) -> list[tuple[str, str | None]]:
    return [(f, c) for _, f, _, c in string.Formatter().parse(template) if f is not None]


def test_every_cached_read_is_found() -> None:
    found = {name for name, *_ in cached_reads()}
    assert {"GetClinic.load", "GetAppointment.load", "GetPrescription.load", "GetPatient.load"} <= found


def test_a_tenants_data_is_keyed_by_its_clinic() -> None:
    for name, method, key, _ in cached_reads():
        parameters = inspect.signature(method).parameters
        if "clinic_id" in parameters:
            assert "clinic_id" in {f for f, _ in fields(key)}, f"{name}: {key} lacks the clinic"


def test_keys_and_tags_hold_ids_bounds_or_keyed_hashes_only() -> None:
    for name, _, key, tags in cached_reads():
        for template in (key, *tags):
            for field, conversion in fields(template):
                last = field.rsplit(".", 1)[-1]
                allowed = last.endswith("_id") or last in PLAIN or conversion == "h"
                assert allowed, f"{name}: {{{field}}} in {template!r} may identify a person: hash it (!h)"
