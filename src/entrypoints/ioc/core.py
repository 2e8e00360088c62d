"""Providers every profile shares: settings, time and ids, tokens, use cases."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from dishka import Provider, Scope, from_context, provide, provide_all

from adapters.crypto.blind_index import HmacBlindIndexer
from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.security.jwt_tokens import JwtAccessTokens, JwtOptions
from adapters.security.secret_hasher import HmacSecretHasher
from adapters.security.token_claims_cache import CachedAccessTokens
from adapters.system.clock import SystemClock
from adapters.system.ids import UuidV7Generator
from application.auditing import AuditEntries
from application.auth.authenticate import Authenticate
from application.auth.issue_operator_token import IssueOperatorToken
from application.auth.log_out import LogOut
from application.auth.refresh_session import RefreshSession
from application.auth.request_otp import RequestOtp
from application.auth.session_tokens import SessionPolicy, SessionTokens
from application.auth.verify_otp import VerifyOtp
from application.auth.who_am_i import WhoAmI
from application.caching import CacheInvalidator
from application.clinics.add_location import AddLocation
from application.clinics.create_clinic import CreateClinic
from application.clinics.get_clinic import GetClinic
from application.clinics.get_location import GetLocation
from application.clinics.list_clinics import ListClinics
from application.clinics.list_locations import ListLocations
from application.clinics.update_clinic import UpdateClinic
from application.consent.list_consents import ListConsents
from application.consent.record_consent import RecordConsent
from application.consent.request_emergency_access import RequestEmergencyAccess
from application.consent.revoke_consent import RevokeConsent
from application.demo.seed_clinical_demo import SeedClinicalDemo
from application.demo.seed_demo_data import SeedDemoData
from application.members.add_member import AddMember
from application.members.get_member import GetMember
from application.members.list_members import ListMembers
from application.ports.clock import Clock, IdGenerator
from application.ports.crypto import BlindIndexer, FieldCipher
from application.ports.security import AccessTokens, SecretHasher
from application.ports.uow import CommitListeners
from application.users.create_super_admin import CreateSuperAdmin
from application.users.create_user import CreateUser
from application.users.get_user import GetUser
from entrypoints.config import Settings


class SettingsProvider(Provider):
    settings = from_context(provides=Settings, scope=Scope.APP)


class SystemProvider(Provider):
    scope = Scope.APP

    @provide
    def commit_listeners(self, cache: CacheInvalidator) -> CommitListeners:
        # Cached reads of what a unit wrote are dropped once it is durable, in every process.
        return CommitListeners((cache,))

    clock = provide(SystemClock, provides=Clock)
    ids = provide(UuidV7Generator, provides=IdGenerator)
    audit_entries = provide(AuditEntries)


class SecurityProvider(Provider):
    scope = Scope.APP

    @provide
    def access_tokens(self, settings: Settings, clock: Clock) -> AccessTokens:
        # Verified claims are kept per process until the token's exp (revocation is still
        # checked on every request by Authenticate): see adapters/security/token_claims_cache.py.
        return CachedAccessTokens(jwt_access_tokens(settings, clock), clock, max_entries=CLAIMS_CACHE_ENTRIES)

    @provide
    def secret_hasher(self, settings: Settings) -> SecretHasher:
        return HmacSecretHasher(settings.security.otp_hash_key.encode())

    @provide
    def session_policy(self, settings: Settings) -> SessionPolicy:
        jwt = settings.jwt
        return SessionPolicy(
            idle=timedelta(minutes=jwt.refresh_idle_minutes),
            lifetime=timedelta(hours=jwt.session_lifetime_hours),
            reuse_grace=timedelta(seconds=jwt.refresh_reuse_grace_seconds),
        )

    @provide
    def field_cipher(self, settings: Settings) -> FieldCipher:
        spec = settings.security.phi_encryption_key
        if not spec:
            # Outside production only (safety.py refuses an empty ring there): a fixed, public
            # development key, so `make run` works on a bare machine. Never for real data.
            logging.getLogger(__name__).warning(
                "SECURITY_PHI_ENCRYPTION_KEY is empty: using the development key"
            )
            return AesGcmFieldCipher(
                "dev", {"dev": hashlib.sha256(b"clinic-backend development PHI key").digest()}
            )
        return AesGcmFieldCipher.from_spec(spec)

    @provide
    def blind_indexer(self, settings: Settings) -> BlindIndexer:
        return HmacBlindIndexer(settings.security.blind_index_key.encode())


CLAIMS_CACHE_ENTRIES = 10_000  # ~3 MB per process at most


def jwt_access_tokens(settings: Settings, clock: Clock) -> JwtAccessTokens:
    """The PyJWT verifier and signer of ``settings.jwt``, without the claims cache."""
    jwt = settings.jwt
    options = JwtOptions(
        signing_key=jwt.secret.replace("\\n", "\n"),
        key_id=jwt.key_id,
        retired_keys=dict(_retired(item) for item in jwt.retired_keys),
        algorithm=str(jwt.algorithm),
        issuer=jwt.issuer,
        audience=jwt.audience,
        ttl_minutes=jwt.access_ttl_minutes,
        leeway_seconds=jwt.leeway_seconds,
    )
    return JwtAccessTokens(options, clock)


def _retired(item: str) -> tuple[str, str]:
    kid, _, key = item.partition("=")
    return kid.strip(), key.strip().replace("\\n", "\n")


class UseCaseProvider(Provider):
    scope = Scope.REQUEST

    use_cases = provide_all(
        Authenticate,
        IssueOperatorToken,
        CreateClinic,
        GetClinic,
        ListClinics,
        UpdateClinic,
        AddLocation,
        GetLocation,
        ListLocations,
        CreateUser,
        GetUser,
        CreateSuperAdmin,
        AddMember,
        GetMember,
        ListMembers,
        SeedDemoData,
        SeedClinicalDemo,
        SessionTokens,
        RefreshSession,
        LogOut,
        WhoAmI,
        RecordConsent,
        RevokeConsent,
        ListConsents,
        RequestEmergencyAccess,
        RequestOtp,
        VerifyOtp,
    )
