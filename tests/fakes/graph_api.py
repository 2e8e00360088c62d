"""A fake WhatsApp Cloud API (Graph API) served over real HTTP on loopback.

    with FakeGraphApi(templates=DEFAULT_TEMPLATES) as graph:       # a uvicorn thread, free port
        graph.url                                                   # http://127.0.0.1:<port>
        graph.fail_next(131026)                                     # next answer: that Graph error
        graph.malformed_next(Malformed.HTML_502)                    # next answer: a broken one
        graph.delay_next(2.0)                                       # accept, answer 2 s late
        graph.received, graph.accepted                              # what came in, what was taken
        graph.status_webhooks(("sent", "delivered"), duplicates=1, shuffle=True)

It checks what Graph checks: the bearer token (190), the phone number id (100), the template
registry (132001 unknown name or language, 132000 wrong parameter count) and a messages-per-second
limit (130429). Injected answers are served first, in order. Standalone, for e2e runs and
benchmarks: ``PYTHONPATH=tests .venv/bin/python -m fakes --port 8089`` (``--help``). To expire the
token mid-run, assign ``graph.access_token`` (the next requests get 190); ``graph.rate.limit``
changes the messages-per-second limit.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from typing import Any

import uvicorn

from fakes.graph_records import Accepted, Answer, Malformed, Received, Script, TemplateSpec
from fakes.graph_rules import (
    DEFAULT_TEMPLATES,
    RateWindow,
    check_template,
    graph_error,
    malformed_answer,
    success,
)
from fakes.graph_webhooks import SignedWebhook, status_webhooks

__all__ = ["DEFAULT_TEMPLATES", "FakeGraphApi", "Malformed", "TemplateSpec"]


class FakeGraphApi:
    def __init__(
        self,
        *,
        templates: dict[tuple[str, str], TemplateSpec] | None = None,
        access_token: str = "test-token",
        phone_number_id: str = "1234567890",
        business_account_id: str = "9876543210",
        app_secret: str = "fake-app-secret",
        messages_per_second: float | None = None,
        port: int = 0,
    ) -> None:
        self.templates = dict(DEFAULT_TEMPLATES if templates is None else templates)
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.business_account_id = business_account_id
        self.app_secret = app_secret
        self.rate = RateWindow(messages_per_second)
        self.received: list[Received] = []
        self.accepted: list[Accepted] = []
        self._script: deque[Script] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", port))
        self.port = int(self._socket.getsockname()[1])
        self._server = uvicorn.Server(
            uvicorn.Config(self, log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=30)
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # Life cycle ------------------------------------------------------------------------------
    def start(self) -> FakeGraphApi:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Graph API did not start")
            time.sleep(0.01)
        return self

    def wait_stopped(self) -> None:
        self._stop.wait()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:  # ends injected delays at once
            for loop, stopping in self._waiters:
                loop.call_soon_threadsafe(stopping.set)
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> FakeGraphApi:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget what was received and accepted and any injected answers (one fake, many tests);
        the templates, token and rate limit stay as they are."""
        with self._lock:
            self.received.clear()
            self.accepted.clear()
            self._script.clear()
        self.rate.clear()

    # Scripting -------------------------------------------------------------------------------
    def fail_next(
        self, code: int, *, http_status: int = 400, times: int = 1, title: str | None = None
    ) -> None:
        """The next ``times`` requests get Graph error ``code`` (accepting nothing)."""
        self._push(Script(error_code=code, http_status=http_status, title=title), times)

    def malformed_next(self, kind: Malformed, *, times: int = 1) -> None:
        self._push(Script(malformed=kind), times)

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """The next requests are accepted at once and answered ``seconds`` later (a client that
        gave up meanwhile never learns the wamid: only a status webhook tells it)."""
        self._push(Script(delay=seconds), times)

    def _push(self, script: Script, times: int) -> None:
        with self._lock:
            self._script.extend([script] * times)

    # Webhooks --------------------------------------------------------------------------------
    def status_webhooks(
        self, statuses: tuple[str, ...] = ("sent", "delivered", "read"), **options: Any
    ) -> list[SignedWebhook]:
        """Signed status webhooks for the accepted messages (see graph_webhooks.status_webhooks:
        ``wamids``, ``error_code``, ``duplicates``, ``shuffle``, ``seed``)."""
        with self._lock:
            accepted = list(self.accepted)
        return status_webhooks(
            accepted,
            statuses,
            app_secret=self.app_secret,
            business_account_id=self.business_account_id,
            phone_number_id=self.phone_number_id,
            **options,
        )

    # Serving ---------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        answer = await self._answer(scope["method"], scope["path"], headers, body)
        await send({"type": "http.response.start", "status": answer.status, "headers": answer.header_list()})
        await send({"type": "http.response.body", "body": answer.body})

    async def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self._lock:
            script = self._script.popleft() if self._script else None
        record = Received(method=method, path=path, headers=headers, body=body, at=time.time())
        with self._lock:
            self.received.append(record)
        if script is not None and script.error_code is not None:
            return self._outcome(record, graph_error(script.error_code, script.http_status, script.title))
        if script is not None and script.malformed is not None:
            return self._outcome(record, malformed_answer(script.malformed))
        answer = self._check(method, path, headers, body)
        if script is not None and script.delay:
            await self._pause(script.delay)
        return self._outcome(record, answer)

    def _check(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        if headers.get("authorization") != f"Bearer {self.access_token}":
            return graph_error(190, 401)
        parts = path.strip("/").split("/")
        if method != "POST" or len(parts) != 3 or parts[2] != "messages" or parts[1] != self.phone_number_id:
            return graph_error(100, 400, "Unsupported post request: unknown object or path")
        if not self.rate.hit():
            return graph_error(130429, 400)
        try:
            payload = json.loads(body)
        except ValueError:
            return graph_error(100, 400, "Invalid JSON in the request body")
        refusal, accepted = check_template(payload, self.templates)
        if refusal is not None:
            return refusal
        assert accepted is not None
        with self._lock:
            self.accepted.append(accepted)
        return success(accepted)

    async def _pause(self, seconds: float) -> None:
        stopping = asyncio.Event()
        waiter = (asyncio.get_running_loop(), stopping)
        with self._lock:
            self._waiters.add(waiter)
        try:
            await asyncio.wait_for(stopping.wait(), seconds)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    @staticmethod
    def _outcome(record: Received, answer: Answer) -> Answer:
        record.outcome = answer.outcome
        return answer
