"""Our four top-level packages are the ones under src/, not PyPI distributions of the same names."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

SRC = (Path(__file__).resolve().parent.parent / "src").resolve()


@pytest.mark.parametrize("name", ["domain", "application", "adapters", "entrypoints"])
def test_package_resolves_under_src(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(SRC / name)


def test_console_script_is_declared() -> None:
    import tomllib

    project = tomllib.loads((SRC.parent / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["healthcare"] == "entrypoints.cli:main"
