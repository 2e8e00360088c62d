"""A tiny SMTP server for tests: speaks enough SMTP (EHLO/HELO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA,
RSET, NOOP, QUIT) on loopback and keeps every message it accepts.

Scripted trouble, per command: ``answers["RCPT"] = "550 5.1.1 no such user"`` answers that instead;
``answers["DATA_END"] = "hang"`` never answers after the message's final dot (the client times
out: outcome unknown); ``answers["AUTH"] = "535 5.7.8 bad credentials"``. ``delay_seconds``
slows the answer after the final dot (a busy server, so a worker holds messages for a while).
``received`` holds the accepted messages; ``started`` the Message-IDs whose content arrived,
accepted or not.

``start_in_thread`` runs it in a thread with its own event loop, for tests that drive other
processes; ``start`` runs it in the caller's loop.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class SmtpSink:
    auth: bool = False
    answers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)
    started: list[str] = field(default_factory=list)  # Message-IDs whose content arrived in full
    port: int = 0
    _server: asyncio.AbstractServer | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def start(self) -> SmtpSink:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def start_in_thread(self) -> SmtpSink:
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start())
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        assert ready.wait(10), "the SMTP sink did not start"
        return self

    def stop_thread(self) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self.stop(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(r.message["Message-ID"]) for r in self.received]

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(line: str) -> None:
            writer.write(f"{line}\r\n".encode())
            await writer.drain()

        sender, recipients = "", []
        try:
            await say("220 sink ESMTP ready")
            while line := (await reader.readline()).decode(errors="replace").rstrip("\r\n"):
                verb = line.split(" ", 1)[0].upper()
                if verb in self.answers and verb not in ("DATA",):
                    await say(self.answers[verb])
                elif verb in ("EHLO", "HELO"):
                    await say("250-sink" if verb == "EHLO" else "250 sink")
                    if verb == "EHLO":
                        await say("250-AUTH PLAIN LOGIN" if self.auth else "250-8BITMIME")
                        await say("250 SIZE 10485760")
                elif verb == "AUTH":
                    await self._auth(line, reader, say)
                elif verb == "MAIL":
                    sender, recipients = line.split(":", 1)[1].strip(" <>"), []
                    await say("250 2.1.0 ok")
                elif verb == "RCPT":
                    recipients.append(line.split(":", 1)[1].strip(" <>"))
                    await say("250 2.1.5 ok")
                elif verb == "DATA":
                    if not await self._data(reader, say, sender, recipients):
                        return
                elif verb == "QUIT":
                    await say("221 2.0.0 bye")
                    return
                else:  # RSET, NOOP and the rest
                    await say("250 2.0.0 ok")
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _auth(self, line: str, reader: asyncio.StreamReader, say) -> None:
        parts = line.split()
        if len(parts) == 2 and parts[1].upper() == "PLAIN":
            await say("334 ")
            await reader.readline()
        elif len(parts) >= 2 and parts[1].upper() == "LOGIN":
            for prompt in (b"Username:", b"Password:"):
                if len(parts) == 3 and prompt == b"Username:":
                    continue
                await say("334 " + base64.b64encode(prompt).decode())
                await reader.readline()
        await say("235 2.7.0 authenticated")

    async def _data(self, reader: asyncio.StreamReader, say, sender: str, recipients: list[str]) -> bool:
        if "DATA" in self.answers:
            await say(self.answers["DATA"])
            return True
        await say("354 end with <CRLF>.<CRLF>")
        lines = []
        while (raw := await reader.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(raw[1:] if raw.startswith(b"..") else raw)
        content = message_from_bytes(b"".join(lines))
        with self._lock:
            self.started.append(str(content["Message-ID"]))
        answer = self.answers.get("DATA_END", "250 2.0.0 queued")
        if answer == "hang":
            await reader.read()  # never answer; the client gives up
            return False
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if answer.startswith("2"):  # accepted: it will reach the mailbox, whatever the client sees now
            with self._lock:
                self.received.append(Received(sender, recipients, content))
        await say(answer)
        return True
