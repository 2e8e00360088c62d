from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import Server, start_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from start_server(tmp_path)
