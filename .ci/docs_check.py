"""`make docs-check`: the OpenAPI docs page loads in headless Chromium with no console errors and
lists every route; a screenshot is saved (var/docs-check.png by default).

Serves the app (embedded profile, a throw-away data directory) with uvicorn on a free loopback
port, then runs .ci/docs_check/check.mjs (playwright-core driving Debian's chromium; install
with `apt-get install -y chromium` and `npm ci --prefix .ci/docs_check`). Not part of `make test`.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from entrypoints.config import load_settings
from entrypoints.http.app import API_PREFIX, create_app

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    screenshot = Path(sys.argv[1] if len(sys.argv) > 1 else "var/docs-check.png").resolve()
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        environ = {"APP_PROFILE": "embedded", "APP_ENV": "test", "APP_DATA_DIR": data}
        settings = load_settings(environ, base_dir=Path(data), in_container=False)
        port = _free_port()
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                print("the server did not start", file=sys.stderr)
                return 1
            time.sleep(0.05)
        assert httpx.get(f"{base}/health/live").status_code == 200
        try:
            return subprocess.call(  # noqa: S603 - a fixed argv: node on PATH and our own script
                [  # noqa: S607
                    "node",
                    str(HERE / "docs_check" / "check.mjs"),
                    f"{base}{API_PREFIX}/schema",
                    f"{base}{API_PREFIX}/schema/openapi.json",
                    str(screenshot),
                ]
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
