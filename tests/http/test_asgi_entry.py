"""The servers' ASGI factory: the app it builds freezes the start-up heap once started."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from http_api import embedded_settings
from litestar.testing import AsyncTestClient

from entrypoints.http import asgi


async def test_the_served_app_freezes_its_start_up_heap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(asgi, "load_settings", lambda: embedded_settings(tmp_path))
    monkeypatch.setattr(asgi, "configure_logging", lambda settings: None)
    app = asgi.app_from_environment()
    assert app.on_startup[-1] is asgi.freeze_startup_heap  # after every hook that builds things
    gc.unfreeze()
    try:
        async with AsyncTestClient(app) as client:  # runs the start-up hooks
            assert gc.get_freeze_count() > 0
            assert (await client.get("/health/live")).status_code == 200
    finally:
        gc.unfreeze()  # the test process goes on collecting as before
