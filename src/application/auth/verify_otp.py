"""Sign in with a one-time code."""

from __future__ import annotations

from dataclasses import dataclass

from application.auditing import AuditEntries
from application.auth.otp_policy import OtpPolicy, code_purpose, find_user, identity_hash, identity_of
from application.auth.session_tokens import SessionTokens, TokenPair
from application.ports.clock import Clock, IdGenerator
from application.ports.otp import OtpStore
from application.ports.repositories import UserRepository
from application.ports.security import SecretHasher
from application.ports.uow import UnitOfWork
from domain.access import Actor
from domain.errors import AccountLocked, OtpInvalid
from domain.identity import User
from domain.otp import MAX_GUESSES, Identity


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyOtpCommand:
    email: str | None = None
    phone: str | None = None
    code: str
    request_id: str | None = None


class VerifyOtp:
    """Verify a sign-in code and open a session.

    - A locked identity gets ACCOUNT_LOCKED with the seconds to wait, whatever the code.
    - Each guess is counted atomically before it is compared (in constant time); a wrong code is
      OTP_INVALID, and the 5th wrong guess kills the code and locks the identity: ACCOUNT_LOCKED,
      audited once.
    - A right code works once: of parallel verifications of it, exactly one opens a session.
    - Unknown identities behave the same (their codes are decoys nobody received); with
      self-registration on, a right code for an unknown email or phone creates a PATIENT user
      with no clinic membership.
    """

    def __init__(
        self,
        users: UserRepository,
        store: OtpStore,
        hasher: SecretHasher,
        tokens: SessionTokens,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditEntries,
        policy: OtpPolicy,
    ) -> None:
        self._users = users
        self._store = store
        self._hasher = hasher
        self._tokens = tokens
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit
        self._policy = policy

    async def __call__(self, cmd: VerifyOtpCommand) -> TokenPair:
        identity = identity_of(cmd.email, cmd.phone)
        hashed = identity_hash(self._hasher, identity)
        now = self._clock.now()
        locked = await self._store.locked_until(hashed, now)
        if locked is not None:
            raise AccountLocked(retry_after=max(1, int((locked - now).total_seconds())))
        guess = await self._store.guess(hashed, now)
        if guess is None:
            raise OtpInvalid()
        if not self._hasher.matches(
            cmd.code.strip(), guess.code_hash, purpose=code_purpose(guess.challenge_id)
        ):
            if guess.attempts >= MAX_GUESSES:
                await self._lock(hashed, identity, cmd.request_id)
            raise OtpInvalid()
        if not await self._store.consume(hashed, guess.challenge_id):
            raise OtpInvalid()
        return await self._uow.run(lambda: self._open_session(identity, cmd.request_id))

    async def _lock(self, hashed: str, identity: Identity, request_id: str | None) -> None:
        now = self._clock.now()
        until = now + self._policy.lock_for
        if await self._store.lock(hashed, now, until):

            async def audit() -> None:
                self._uow.record(
                    self._audit.entry(
                        None, "ACCOUNT_LOCKED", "identity", hashed[:16], clinic_id=None, request_id=request_id
                    )
                )
                await self._uow.commit()

            await self._uow.run(audit)
        raise AccountLocked(retry_after=int(self._policy.lock_for.total_seconds()))

    async def _open_session(self, identity: Identity, request_id: str | None) -> TokenPair:
        now = self._clock.now()
        user = await find_user(self._users, identity)
        if user is None:
            if not self._policy.self_registration:
                raise OtpInvalid()
            user = User(
                id=self._ids.new_id(),
                email=identity.email,
                phone=identity.phone,
                name="Patient",
                created_at=now,
            )
            await self._users.add(user)
        elif not user.active:
            raise OtpInvalid()
        pair = await self._tokens.open(user.id, now)
        actor = Actor(user_id=user.id, request_id=request_id, session_id=pair.session_id)
        self._uow.record(self._audit.entry(actor, "SIGN_IN", "session", pair.session_id, clinic_id=None))
        await self._uow.commit()
        return pair
