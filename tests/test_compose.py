"""compose.yaml and the Dockerfile, checked statically (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from entrypoints.config import settings_catalogue

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
OURS = ("migrate", "api", "worker")
SETTINGS = {info.key for info in settings_catalogue()}


def test_the_deployment_has_every_service() -> None:
    assert set(SERVICES) == {"postgres", "redis", "dragonfly", "migrate", "api", "worker"}
    assert SERVICES["dragonfly"]["profiles"] == ["dragonfly"]
    assert SERVICES["api"]["deploy"]["replicas"] == 2
    assert SERVICES["worker"]["deploy"]["replicas"] == 2
    assert SERVICES["migrate"]["command"] == ["healthcare", "migrate"]
    assert SERVICES["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", sorted(set(SERVICES) - {"migrate"}))
def test_long_running_services_have_health_checks(name: str) -> None:
    check = SERVICES[name]["healthcheck"]
    assert check["test"] and not check.get("disable")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_images_are_pinned(name: str) -> None:
    image = SERVICES[name]["image"]
    tag = image.rsplit(":", 1)[-1] if ":" in image.split("/")[-1] else ""
    assert tag and tag != "latest" and (name in OURS or re.search(r"\d+\.\d+", tag)), image


@pytest.mark.parametrize("name", OURS)
def test_every_environment_key_is_a_real_setting(name: str) -> None:
    environment = SERVICES[name]["environment"]
    assert environment, name
    unknown = set(environment) - SETTINGS
    assert not unknown, f"{name} sets keys that are no settings: {sorted(unknown)}"


def test_the_image_runs_as_a_non_root_user_from_the_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") >= 2  # multi-stage
    assert "uv sync --frozen --no-dev" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    env_keys = set(re.findall(r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)=", dockerfile.split("FROM ")[-1]))
    assert env_keys - {"PYTHONUNBUFFERED"} <= SETTINGS
