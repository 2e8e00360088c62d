"""Signing in with a one-time code over HTTP: the authentication rows of RELIABILITY.md.

Delivery is the messaging issue's: here the outbox is replaced by a recording one, so the test
reads the code a user would have received.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from dishka import Provider, Scope, provide
from http_api import Api, assert_error, embedded_settings, open_api

from application.ports.audit import AuditReader
from application.ports.clock import Clock
from application.ports.messaging import Outbox
from domain.messaging import OutboundMessage

REGISTERED = "clinic.admin@demo.clinic"
UNLIMITED = {
    "RATE_LIMIT_AUTH_REQUESTS_PER_MINUTE": "100000",
    "RATE_LIMIT_OTP_REQUESTS_PER_IP_PER_HOUR": "100000",
}


class RecordingOutbox(Outbox):
    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def add(self, message: OutboundMessage) -> None:
        self.sent.append(message)


class Recording(Provider):
    def __init__(self, outbox: RecordingOutbox, clock: Clock | None = None) -> None:
        super().__init__()
        self.outbox, self.clock = outbox, clock

    @provide(scope=Scope.REQUEST)
    def outbox_port(self) -> Outbox:
        return self.outbox


class ControlledClock(Provider):
    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    @provide(scope=Scope.APP)
    def the_clock(self) -> Clock:
        return self.clock


async def request_code(api: Api, email: str, **headers: str):
    return await api.client.post(
        "/api/v1/auth/request-otp", json={"email": email, "deliveryMethod": "email"}, headers=headers
    )


async def verify(api: Api, email: str, code: str):
    return await api.client.post("/api/v1/auth/verify-otp", json={"email": email, "code": code})


def without_volatile(body: dict) -> dict:
    error = dict(body.get("error", {}))
    error.pop("timestamp", None)
    error.pop("requestId", None)
    return {"error": error} if error else body


async def test_sign_in_end_to_end(tmp_path: Path) -> None:
    outbox = RecordingOutbox()
    async for api in open_api(embedded_settings(tmp_path), Recording(outbox)):
        accepted = await request_code(api, REGISTERED)
        assert accepted.status_code == 202
        [message] = outbox.sent
        signed_in = await verify(api, REGISTERED, message.parameters["code"])
        assert signed_in.status_code == 200 and signed_in.headers["cache-control"] == "no-store"
        token = signed_in.json()["accessToken"]
        me = await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["user"]["email"] == REGISTERED
        assert_error(await verify(api, REGISTERED, message.parameters["code"]), 401, "OTP_INVALID")


async def test_registered_and_unknown_identities_look_identical(tmp_path: Path) -> None:
    outbox = RecordingOutbox()
    async for api in open_api(embedded_settings(tmp_path), Recording(outbox)):
        known, unknown = await request_code(api, REGISTERED), await request_code(api, "nobody@demo.clinic")
        assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
        for _ in range(5):
            a, b = await verify(api, REGISTERED, "000001"), await verify(api, "nobody@demo.clinic", "000001")
            assert (a.status_code, without_volatile(a.json())) == (b.status_code, without_volatile(b.json()))
        assert a.status_code == 429  # both locked after the fifth wrong guess
        assert [m.recipient for m in outbox.sent] == [REGISTERED]


async def test_a_thousand_wrong_guesses_from_fifty_clients(tmp_path: Path) -> None:
    outbox = RecordingOutbox()
    async for api in open_api(embedded_settings(tmp_path, **UNLIMITED), Recording(outbox)):
        await request_code(api, REGISTERED)
        right = outbox.sent[0].parameters["code"]
        wrong = "000000" if right != "000000" else "111111"
        guesses = iter(range(1000))

        async def client() -> list[int]:
            statuses = []
            for _ in guesses:
                statuses.append((await verify(api, REGISTERED, wrong)).status_code)
            return statuses

        statuses = [s for batch in await asyncio.gather(*(client() for _ in range(50))) for s in batch]
        assert len(statuses) == 1000 and 200 not in statuses
        assert statuses.count(401) <= 4  # at most four plain refusals before the lock
        assert_error(await verify(api, REGISTERED, right), 429, "ACCOUNT_LOCKED")
        async with api.container() as request:
            entries = await (await request.get(AuditReader)).entries(limit=1000)
        assert [e.action for e in entries].count("ACCOUNT_LOCKED") == 1


async def test_twenty_parallel_verifications_of_the_right_code(tmp_path: Path) -> None:
    outbox = RecordingOutbox()
    async for api in open_api(embedded_settings(tmp_path, **UNLIMITED), Recording(outbox)):
        await request_code(api, REGISTERED)
        code = outbox.sent[0].parameters["code"]
        results = await asyncio.gather(*(verify(api, REGISTERED, code) for _ in range(20)))
        assert sorted(r.status_code for r in results) == [200] + [401] * 19


async def test_a_code_at_ttl_minus_and_plus_one_second(tmp_path: Path, clock) -> None:
    outbox = RecordingOutbox()
    async for api in open_api(
        embedded_settings(tmp_path, **UNLIMITED), Recording(outbox), ControlledClock(clock)
    ):
        await request_code(api, REGISTERED)
        clock.advance(minutes=4, seconds=59)
        assert (await verify(api, REGISTERED, outbox.sent[-1].parameters["code"])).status_code == 200
        clock.advance(minutes=1)
        await request_code(api, REGISTERED)
        clock.advance(minutes=5, seconds=1)
        assert_error(await verify(api, REGISTERED, outbox.sent[-1].parameters["code"]), 401, "OTP_INVALID")


async def test_request_floods_reach_the_channel_only_as_the_limits_allow(tmp_path: Path) -> None:
    outbox = RecordingOutbox()
    settings = embedded_settings(
        tmp_path,
        RATE_LIMIT_AUTH_REQUESTS_PER_MINUTE="100000",
        RATE_LIMIT_OTP_REQUESTS_PER_IP_PER_HOUR="20",
        APP_SEED_DEMO_DATA="true",
        SECURITY_PATIENT_SELF_REGISTRATION="true",
    )
    async for api in open_api(settings, Recording(outbox)):
        one = [await request_code(api, REGISTERED, **{"X-Forwarded-For": f"10.0.0.{i}"}) for i in range(100)]
        assert {r.status_code for r in one} == {202} and len({r.text for r in one}) == 1
        assert len(outbox.sent) == 1  # forwarded headers from an untrusted peer change nothing
        many = [await request_code(api, f"random{i}@example.com") for i in range(1000)]
        assert {r.status_code for r in many} == {202}
        assert len(outbox.sent) <= 20


async def test_guesses_spread_over_forwarded_addresses_still_lock_the_identity(tmp_path: Path) -> None:
    outbox = RecordingOutbox()
    async for api in open_api(embedded_settings(tmp_path, **UNLIMITED), Recording(outbox)):
        await request_code(api, REGISTERED)
        right = outbox.sent[0].parameters["code"]
        wrong = "000000" if right != "000000" else "111111"
        statuses = []
        for i in range(100):
            response = await api.client.post(
                "/api/v1/auth/verify-otp",
                json={"email": REGISTERED, "code": wrong},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            )
            statuses.append(response.status_code)
        assert statuses[:4] == [401] * 4 and set(statuses[4:]) == {429}
        assert_error(await verify(api, REGISTERED, right), 429, "ACCOUNT_LOCKED")
