"""One-time codes over the memory adapters: limits, no enumeration, guesses, locks, single use."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from memory_world import World

from adapters.memory.otp_store import InMemoryOtpStore
from adapters.memory.sessions import InMemoryRefreshTokenRepository, InMemorySessionRepository
from adapters.ratelimit.limits_limiter import LimitsRateLimiter
from adapters.security.jwt_tokens import JwtAccessTokens, JwtOptions
from adapters.security.secret_hasher import HmacSecretHasher
from application.auth.otp_policy import OtpPolicy
from application.auth.request_otp import RequestOtp, RequestOtpCommand
from application.auth.session_tokens import SessionPolicy, SessionTokens
from application.auth.verify_otp import VerifyOtp, VerifyOtpCommand
from application.ports.messaging import Outbox
from application.ports.otp import RateLimit
from domain.contact import Email
from domain.errors import AccountLocked, InvalidEmail, OtpInvalid
from domain.identity import User
from domain.messaging import OutboundMessage

POLICY = OtpPolicy(
    resend_cooldown=RateLimit(1, 60),
    per_identity=RateLimit(5, 3600),
    per_client_ip=RateLimit(1000, 3600),
    lock_for=timedelta(minutes=15),
    self_registration=False,
)
JWT = JwtOptions(
    signing_key="s" * 48, algorithm="HS256", issuer="i", audience="a", ttl_minutes=15, leeway_seconds=0
)


class RecordingOutbox(Outbox):
    """Test double of the Outbox port: what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def add(self, message: OutboundMessage) -> None:
        self.sent.append(message)


class SignIn:
    def __init__(self, world: World, policy: OtpPolicy = POLICY) -> None:
        self.world = world
        self.store = InMemoryOtpStore()
        self.limiter = LimitsRateLimiter.in_memory()
        self.hasher = HmacSecretHasher(b"otp-key")
        self.outbox = RecordingOutbox()
        self.policy = policy

    async def request(self, email: str, ip: str = "203.0.113.1", method: str = "email") -> None:
        unit = self.world.unit()
        await RequestOtp(
            unit.users,
            self.store,
            self.limiter,
            self.hasher,
            self.outbox,
            unit.uow,
            unit.clock,
            unit.ids,
            self.policy,
        )(RequestOtpCommand(email=email, delivery_method=method, client_ip=ip))

    async def verify(self, email: str, code: str):
        unit = self.world.unit()
        tokens = SessionTokens(
            InMemorySessionRepository(unit.uow),
            InMemoryRefreshTokenRepository(unit.uow),
            JwtAccessTokens(JWT, unit.clock),
            self.hasher,
            unit.ids,
            SessionPolicy(),
        )
        return await VerifyOtp(
            unit.users,
            self.store,
            self.hasher,
            tokens,
            unit.uow,
            unit.clock,
            unit.ids,
            unit.audit,
            self.policy,
        )(VerifyOtpCommand(email=email, code=code))

    async def register(self, email: str) -> None:
        unit = self.world.unit()
        await unit.users.add(
            User(
                id=unit.ids.new_id(), email=Email(email), phone=None, name="Ann", created_at=unit.clock.now()
            )
        )
        await unit.uow.commit()

    def last_code(self) -> str:
        return self.outbox.sent[-1].parameters["code"]


@pytest.fixture
def sign_in(world: World) -> SignIn:
    return SignIn(world)


async def test_a_code_signs_in_once(sign_in: SignIn) -> None:
    await sign_in.register("ann@example.com")
    await sign_in.request("ann@example.com")
    [message] = sign_in.outbox.sent
    assert message.recipient == "ann@example.com" and len(message.parameters["code"]) == 6
    assert message.expires_at is not None
    pair = await sign_in.verify("ann@example.com", sign_in.last_code())
    assert pair.access_token and pair.refresh_token
    with pytest.raises(OtpInvalid):
        await sign_in.verify("ann@example.com", sign_in.last_code())


async def test_the_code_expires(sign_in: SignIn, clock) -> None:
    await sign_in.register("ann@example.com")
    await sign_in.request("ann@example.com")
    clock.advance(minutes=4, seconds=59)
    code = sign_in.last_code()
    await sign_in.verify("ann@example.com", code)
    clock.advance(seconds=61)
    await sign_in.request("ann@example.com")
    clock.advance(minutes=5, seconds=1)
    with pytest.raises(OtpInvalid):
        await sign_in.verify("ann@example.com", sign_in.last_code())


async def test_five_wrong_guesses_kill_the_code_and_lock_once(sign_in: SignIn, world) -> None:
    await sign_in.register("ann@example.com")
    await sign_in.request("ann@example.com")
    right = sign_in.last_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(OtpInvalid):
            await sign_in.verify("ann@example.com", wrong)
    with pytest.raises(AccountLocked) as locked:
        await sign_in.verify("ann@example.com", wrong)
    assert locked.value.retry_after == 15 * 60
    with pytest.raises(AccountLocked):
        await sign_in.verify("ann@example.com", right)  # too late: locked, and the code is dead
    assert [e.action for e in world.store.audit].count("ACCOUNT_LOCKED") == 1


async def test_parallel_guesses_get_no_more_than_five(sign_in: SignIn, world) -> None:
    await sign_in.register("ann@example.com")
    await sign_in.request("ann@example.com")
    wrong = "000000" if sign_in.last_code() != "000000" else "111111"

    async def attempt() -> type[Exception]:
        try:
            await sign_in.verify("ann@example.com", wrong)
        except (OtpInvalid, AccountLocked) as error:
            return type(error)
        raise AssertionError("a wrong code signed in")

    evaluated = 0
    real_guess = sign_in.store.guess

    async def counting_guess(identity_hash, now):
        nonlocal evaluated
        guess = await real_guess(identity_hash, now)
        evaluated += guess is not None
        return guess

    sign_in.store.guess = counting_guess  # type: ignore[method-assign]
    outcomes = await asyncio.gather(*(attempt() for _ in range(200)))
    assert evaluated == 5
    assert set(outcomes) <= {OtpInvalid, AccountLocked} and AccountLocked in outcomes
    assert [e.action for e in world.store.audit].count("ACCOUNT_LOCKED") == 1


async def test_twenty_parallel_right_codes_open_exactly_one_session(sign_in: SignIn) -> None:
    await sign_in.register("ann@example.com")
    await sign_in.request("ann@example.com")
    code = sign_in.last_code()

    async def attempt() -> bool:
        try:
            await sign_in.verify("ann@example.com", code)
            return True
        except OtpInvalid:
            return False

    assert (await asyncio.gather(*(attempt() for _ in range(20)))).count(True) == 1


async def test_unknown_identities_look_the_same_and_get_nothing(sign_in: SignIn) -> None:
    await sign_in.request("nobody@example.com")
    assert sign_in.outbox.sent == []
    with pytest.raises(OtpInvalid):
        await sign_in.verify("nobody@example.com", "123456")
    for _ in range(3):
        with pytest.raises(OtpInvalid):
            await sign_in.verify("nobody@example.com", "123456")
    with pytest.raises(AccountLocked):  # the decoy code locks like a real one
        await sign_in.verify("nobody@example.com", "123456")


async def test_the_cooldown_and_caps_stop_sends_silently(sign_in: SignIn) -> None:
    await sign_in.register("ann@example.com")
    for _ in range(100):
        await sign_in.request("ann@example.com")
    assert len(sign_in.outbox.sent) == 1


async def test_per_address_cap(world: World) -> None:
    capped = SignIn(
        world,
        OtpPolicy(
            resend_cooldown=RateLimit(1, 60),
            per_identity=RateLimit(5, 3600),
            per_client_ip=RateLimit(3, 3600),
            lock_for=timedelta(minutes=15),
            self_registration=True,
        ),
    )
    for i in range(50):
        await capped.request(f"random{i}@example.com", ip="198.51.100.7")
    assert len(capped.outbox.sent) == 3


async def test_self_registration_creates_a_patient_without_membership(world: World) -> None:
    open_door = SignIn(
        world,
        OtpPolicy(
            resend_cooldown=RateLimit(1, 60),
            per_identity=RateLimit(5, 3600),
            per_client_ip=RateLimit(30, 3600),
            lock_for=timedelta(minutes=15),
            self_registration=True,
        ),
    )
    await open_door.request("new@example.com")
    pair = await open_door.verify("new@example.com", open_door.last_code())
    unit = world.unit()
    user = await unit.users.get_by_email(Email("new@example.com"))
    assert user is not None and await unit.memberships.of_user(user.id) == []
    assert pair.session_id


async def test_bad_identities_are_validation_errors(sign_in: SignIn) -> None:
    with pytest.raises(InvalidEmail):
        await sign_in.request("not-an-email")
