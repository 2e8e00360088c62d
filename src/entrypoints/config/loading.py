"""Loading `Settings` from the process environment and .env files.

Precedence, highest first: the process environment, `.env.local`, `.env.{APP_ENV}`, `.env`, then
the defaults (`entrypoints.config.defaults`). APP_ENV itself is taken from the environment,
`.env.local` or `.env` (it selects the third file, so that file cannot set it; if it does, the value
must agree).

Unknown keys: the process environment carries many unrelated variables, and names such as `APP_...`
or `CACHE_...` may belong to other software, so unknown keys there are ignored. A .env file belongs
to this service: a key in it that starts with a section prefix (`DATABASE_`, `JWT_`, ...) but names
no setting is a typo and is reported as "unknown setting". Keys without a section prefix are ignored
in files too, since a .env file is often shared with docker compose.

Files are parsed by python-dotenv without `${VAR}` interpolation: interpolation would read
`os.environ` behind the caller's back, so the result would depend on more than the arguments.
This module is the only place that reads `os.environ`.
"""

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dotenv import dotenv_values

from entrypoints.config.catalogue import FIELDS, FieldRef, iter_fields
from entrypoints.config.coercion import InvalidValue, coerce
from entrypoints.config.defaults import DERIVED, running_in_container
from entrypoints.config.errors import SettingsError
from entrypoints.config.fields import AppEnv
from entrypoints.config.safety import unsafe_settings
from entrypoints.config.sections import SECTIONS, Settings, env_key

ENVIRONMENT = "environment"
DEFAULT = "default"

_KNOWN_KEYS = frozenset(FIELDS)
_PREFIXES = tuple(env_key(section, "") for section in SECTIONS)

Layer = tuple[str, Mapping[str, str | None]]
Problems = list[tuple[str, str]]


def _read(path: Path) -> dict[str, str | None]:
    return dotenv_values(path, interpolate=False) if path.is_file() else {}


def _unknown_keys(layer: Layer) -> Problems:
    name, values = layer
    problems = []
    for key in values:
        if key in _KNOWN_KEYS or not key.upper().startswith(_PREFIXES):
            continue
        close = difflib.get_close_matches(key.upper(), _KNOWN_KEYS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append((key, f"unknown setting in {name}{hint}"))
    return problems


def _first(key: str, layers: list[Layer]) -> tuple[str, str] | None:
    for name, values in layers:
        raw = values.get(key)
        if raw is not None:
            return raw, name
    return None


def _app_env(layers: list[Layer]) -> AppEnv | None:
    """APP_ENV from the given layers; None when it is invalid (reported with the other keys)."""
    found = _first("APP_ENV", layers)
    if found is None:
        return AppEnv.DEVELOPMENT
    try:
        return coerce(FIELDS["APP_ENV"], found[0])  # type: ignore[no-any-return]
    except InvalidValue:
        return None


def _default(ref: FieldRef, resolved: Mapping[str, Any], in_container: bool) -> Any:
    derive = DERIVED.get(ref.key)
    return derive(resolved, in_container) if derive is not None else ref.field.default


def _resolve(
    layers: list[Layer], in_container: bool, problems: Problems
) -> tuple[dict[str, Any], dict[str, str]]:
    resolved: dict[str, Any] = {}
    sources: dict[str, str] = {}
    # Declaration order matters: a derived default only reads keys declared before it.
    for ref in iter_fields():
        found = _first(ref.key, layers)
        if found is None:
            resolved[ref.key], sources[ref.key] = _default(ref, resolved, in_container), DEFAULT
            continue
        raw, sources[ref.key] = found
        try:
            resolved[ref.key] = coerce(ref, raw)
        except InvalidValue as exc:
            problems.append((ref.key, str(exc)))
            # Go on with the default so that every other key is still checked.
            resolved[ref.key] = _default(ref, resolved, in_container)
    return resolved, sources


def _build(resolved: Mapping[str, Any], sources: Mapping[str, str]) -> Settings:
    values: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
    for ref in iter_fields():
        values[ref.section][ref.name] = resolved[ref.key]
    sections = {section: SECTIONS[section](**fields) for section, fields in values.items()}
    return Settings(**sections, sources=MappingProxyType(dict(sources)))


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    base_dir: Path | None = None,
    in_container: bool | None = None,
) -> Settings:
    """Load, check and return the settings; raise SettingsError naming every bad key.

    `environ` defaults to `os.environ`, `base_dir` (where the .env files are) to the current
    directory, and `in_container` to looking for `/.dockerenv` or `/run/.containerenv`.
    """
    environment: Mapping[str, str] = os.environ if environ is None else environ
    base = Path.cwd() if base_dir is None else base_dir
    container = running_in_container() if in_container is None else in_container

    local: Layer = (".env.local", _read(base / ".env.local"))
    shared: Layer = (".env", _read(base / ".env"))
    app_env = _app_env([(ENVIRONMENT, environment), local, shared])
    file_layers = [local, shared]
    problems: Problems = []
    if app_env is not None:
        name = f".env.{app_env.value}"
        selected = _read(base / name)
        selected_env = selected.pop("APP_ENV", None)
        if selected_env is not None and selected_env.strip().lower() != app_env.value:
            problems.append(
                ("APP_ENV", f"{name} cannot change APP_ENV; set it in the environment, .env.local or .env")
            )
        file_layers.insert(1, (name, selected))
    for layer in file_layers:
        problems.extend(_unknown_keys(layer))

    resolved, sources = _resolve([(ENVIRONMENT, environment), *file_layers], container, problems)
    settings = _build(resolved, sources)
    problems.extend(unsafe_settings(settings))
    if problems:
        raise SettingsError(problems)
    return settings
