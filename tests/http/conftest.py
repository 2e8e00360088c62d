from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from http_api import Api, embedded_settings, open_api


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async for ready in open_api(embedded_settings(tmp_path)):
        yield ready
