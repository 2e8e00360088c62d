"""Send a one-time sign-in code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from application.auth.otp_policy import OtpPolicy, code_purpose, find_user, identity_hash, identity_of
from application.ports.clock import Clock, IdGenerator
from application.ports.messaging import Outbox
from application.ports.otp import OtpStore, RateLimiter
from application.ports.repositories import UserRepository
from application.ports.security import SecretHasher
from application.ports.uow import UnitOfWork
from domain.errors import ValidationFailed
from domain.identity import User
from domain.messaging import Channel, OutboundMessage, Template
from domain.otp import CODE_DIGITS, CODE_LIFETIME, Identity, OtpChallenge


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestOtpCommand:
    email: str | None = None
    phone: str | None = None
    delivery_method: str
    client_ip: str


class RequestOtp:
    """Request a sign-in code.

    - The answer is the same whether or not the identity exists, and whether or not a limit
      stopped the send: nothing tells an attacker which addresses are registered.
    - Limits: one send per identity per cooldown, a cap per identity and a cap per client
      address; over a limit nothing is sent.
    - Every request stores a code, a decoy when there is nobody to send it to, so verifying
      behaves the same for registered and unknown identities (guesses count, locks happen).
    - The code goes out through the outbox (the console on the embedded profile), by email or
      WhatsApp, to the user's address or number; it is never logged.
    """

    def __init__(
        self,
        users: UserRepository,
        store: OtpStore,
        limiter: RateLimiter,
        hasher: SecretHasher,
        outbox: Outbox,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        policy: OtpPolicy,
    ) -> None:
        self._users = users
        self._store = store
        self._limiter = limiter
        self._hasher = hasher
        self._outbox = outbox
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._policy = policy

    async def __call__(self, cmd: RequestOtpCommand) -> None:
        identity = identity_of(cmd.email, cmd.phone)
        try:
            channel = Channel(cmd.delivery_method)
        except ValueError:
            raise ValidationFailed(details={"deliveryMethod": "expected email or whatsapp"}) from None
        hashed = identity_hash(self._hasher, identity)
        ip_key = self._hasher.digest(cmd.client_ip, purpose="client-ip")
        for key, limit in (
            (f"otp:ip:{ip_key}", self._policy.per_client_ip),
            (f"otp:cooldown:{hashed}", self._policy.resend_cooldown),
            (f"otp:identity:{hashed}", self._policy.per_identity),
        ):
            if not (await self._limiter.hit(key, limit)).allowed:
                return
        user = await find_user(self._users, identity)
        recipient = self._recipient(user, identity, channel)
        now = self._clock.now()
        challenge_id = self._ids.new_id()
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        challenge = OtpChallenge(
            id=challenge_id,
            identity_hash=hashed,
            code_hash=self._hasher.digest(code, purpose=code_purpose(challenge_id)),
            expires_at=now + CODE_LIFETIME,
        )
        await self._store.put(challenge)
        if recipient is None:
            return
        message = OutboundMessage(
            id=self._ids.new_id(),
            channel=channel,
            recipient=recipient,
            template=Template.OTP,
            parameters={"code": code, "ttl_minutes": str(int(CODE_LIFETIME.total_seconds() // 60))},
            idempotency_key=f"otp:{challenge_id}",
            not_before=now,
            expires_at=challenge.expires_at,
            created_at=now,
        )

        async def send() -> None:
            await self._outbox.add(message)
            await self._uow.commit()

        await self._uow.run(send)

    def _recipient(self, user: User | None, identity: Identity, channel: Channel) -> str | None:
        if user is None and not self._policy.self_registration:
            return None
        email = user.email if user else identity.email
        phone = user.phone if user else identity.phone
        if channel is Channel.EMAIL:
            return str(email) if email else None
        return str(phone) if phone else None
