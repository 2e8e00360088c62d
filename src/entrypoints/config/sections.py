"""The typed settings: one frozen dataclass per concern, gathered in `Settings`.

Rules every field follows:
- its environment key is `SECTION_FIELD` upper-cased (`rate_limit.requests_per_minute` ->
  `RATE_LIMIT_REQUESTS_PER_MINUTE`);
- it has a default, a one-line description and a secret flag (field metadata, see `setting`);
- the class default is the one used outside a container with the embedded profile; defaults that
  depend on the container, the profile or another setting are computed by `entrypoints.config.defaults`
  and documented through `doc_default`.
"""

# `setting` returns a dataclasses.field(...), which RUF009 cannot see through.
# ruff: noqa: RUF009

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

from entrypoints.config.fields import (
    DEFAULT_AUDIT_KEY,
    DEFAULT_BLIND_INDEX_KEY,
    DEFAULT_JWT_SECRET,
    DEFAULT_OTP_HASH_KEY,
    AppEnv,
    CacheProvider,
    EmailProvider,
    JwtAlgorithm,
    LogFormat,
    LogLevel,
    Profile,
    address_problem,
    key_ring_problem,
    pool_size_default,
    setting,
    url_problem,
)

# The enumerations live in `fields`; other modules already import them from here too.
__all__ = [  # noqa: RUF022 - grouped: re-exported enumerations, then this module's names
    "AppEnv",
    "CacheProvider",
    "EmailProvider",
    "JwtAlgorithm",
    "LogFormat",
    "LogLevel",
    "Profile",
    "SECTIONS",
    "Settings",
    "env_key",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class AppSettings:
    env: AppEnv = setting(AppEnv.DEVELOPMENT, "Deployment environment; selects the .env.{APP_ENV} file.")
    profile: Profile = setting(
        Profile.EMBEDDED, "Adapter set: in-memory, embedded SQLite, or PostgreSQL+Redis."
    )
    name: str = setting("clinic-backend", "Service name used in logs and tokens.")
    host: str = setting(
        "127.0.0.1",
        "Interface the HTTP server binds to.",
        doc_default="`127.0.0.1`; `0.0.0.0` in a container",
    )
    port: int = setting(8088, "TCP port of the HTTP server.", minimum=1, maximum=65535)
    workers: int = setting(1, "Number of server worker processes.", minimum=1)
    debug: bool = setting(False, "Framework debug mode (tracebacks in responses); refused in production.")
    body_limit_bytes: int = setting(1_048_576, "Largest accepted request body in bytes.", minimum=1)
    data_dir: str = setting("var", "Directory holding the embedded SQLite file and other local data.")
    seed_demo_data: bool = setting(True, "Load demo clinics and users into an empty store at start-up.")
    shutdown_timeout_seconds: float = setting(20.0, "Grace period for in-flight work at shutdown.", minimum=0)
    outbox_batch_size: int = setting(20, "Outbound messages a relay claims at a time.", minimum=1)
    outbox_lease_seconds: float = setting(
        60.0,
        "How long a relay holds claimed messages; a relay that dies releases them after this.",
        minimum=1,
    )
    outbox_concurrency: int = setting(4, "Sends a relay runs at once per channel.", minimum=1)
    outbox_max_attempts: int = setting(
        12, "Attempts before a message that keeps failing is dead-lettered.", minimum=1
    )
    outbox_backoff_base_seconds: float = setting(
        2.0, "Wait after a message's first failure (doubles per attempt, jittered).", minimum=0
    )
    outbox_backoff_max_seconds: float = setting(600.0, "Longest wait between two attempts.", minimum=0)
    outbox_throttle_seconds: float = setting(
        30.0, "Pause of a throttled channel or recipient when the provider names none.", minimum=0
    )
    outbox_probe_seconds: float = setting(
        60.0, "A channel whose credentials are refused is probed once per this interval.", minimum=1
    )
    outbox_poll_seconds: float = setting(0.5, "How often an idle relay looks for due messages.", minimum=0.01)
    appointment_hold_minutes: int = setting(
        10,
        'How long a held appointment (`"hold": true`) blocks its slot before it lapses unconfirmed.',
        minimum=1,
        maximum=1440,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseSettings:
    url: str = setting(
        "sqlite+aiosqlite:///var/healthcare.sqlite3",
        "SQLAlchemy URL of the application database (a password in it is masked when shown).",
        doc_default="`sqlite+aiosqlite:///{APP_DATA_DIR}/healthcare.sqlite3`; production profile: "
        "`postgresql+asyncpg://healthcare@{host}:5432/healthcare`, host `postgres` in a container, "
        "else `127.0.0.1`",
        check=url_problem,
    )
    migrate_url: str = setting(
        "sqlite+aiosqlite:///var/healthcare.sqlite3",
        "URL with the owner role used by `healthcare migrate`.",
        doc_default="the effective `DATABASE_URL`",
        check=url_problem,
    )
    pool_size: int = setting(
        pool_size_default(),
        "Connections kept in the pool.",
        doc_default="2 per CPU core, within `2`..`10`",
        minimum=1,
    )
    max_overflow: int = setting(2, "Extra connections allowed above the pool size.", minimum=0)
    pool_timeout_seconds: float = setting(5.0, "Wait for a free pooled connection before failing.", minimum=0)
    pool_recycle_seconds: int = setting(1800, "Replace connections older than this.", minimum=1)
    pool_pre_ping: bool = setting(
        False,
        "Test a pooled connection before handing it out (three round trips on every checkout). "
        "Off, a connection that died in the pool (a PostgreSQL restart) fails at its first "
        "statement, which discards the whole pool: a unit of work re-runs on a new connection, "
        "a read answers 503 with Retry-After once.",
    )
    statement_timeout_ms: int = setting(15_000, "Server-side statement timeout (PostgreSQL).", minimum=0)
    connect_timeout_seconds: float = setting(5.0, "Timeout for opening a database connection.", minimum=0)
    echo: bool = setting(False, "Log every SQL statement (development only).")
    slow_query_ms: int = setting(
        200,
        "Statements slower than this are logged (warning) with their fingerprint and duration, "
        "never their parameters; `0` logs every statement.",
        minimum=0,
    )
    replica_urls: tuple[str, ...] = setting(
        (),
        "Read replicas (comma-separated SQLAlchemy URLs): reads are spread over the healthy ones; "
        "writing requests read the primary.",
        check=url_problem,
    )
    replica_check_seconds: float = setting(2.0, "How often each read replica is health-checked.", minimum=0.1)
    pgbouncer: bool = setting(
        False,
        "Connections go through PgBouncer in transaction mode: no prepared-statement cache, unique "
        "statement names, and no statement_timeout startup parameter (set it on the login role).",
    )
    app_role: str = setting(
        "healthcare_app",
        "PostgreSQL role every transaction runs as (SET LOCAL ROLE), so row-level security applies; "
        "created by `healthcare migrate`; empty keeps the connecting user (no second wall).",
    )
    retry_attempts: int = setting(3, "Runs of a unit of work before a transient failure is a 503.", minimum=1)
    retry_base_delay_ms: int = setting(
        20, "First backoff before re-running a unit (doubles, jittered).", minimum=0
    )
    retry_max_delay_ms: int = setting(500, "Longest backoff between runs of a unit.", minimum=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheSettings:
    provider: CacheProvider = setting(
        CacheProvider.MEMORY,
        "Shared cache behind the in-process L1.",
        doc_default="`memory`; `redis` for the production profile",
    )
    host: str = setting(
        "127.0.0.1",
        "Cache server host.",
        doc_default="`127.0.0.1`; in a container `redis` (`dragonfly` for that provider)",
    )
    port: int = setting(6379, "Cache server port.", minimum=1, maximum=65535)
    db: int = setting(0, "Redis logical database number.", minimum=0)
    cluster: bool = setting(
        False,
        "The cache server is a Redis Cluster: `CACHE_HOST`/`CACHE_PORT` name one seed node (the "
        "client finds the others) and `CACHE_DB` must be 0.",
    )
    password: str = setting("", "Cache server password.", secret=True)
    socket_timeout_seconds: float = setting(0.5, "Timeout of one cache round trip.", minimum=0)
    l1_max_entries: int = setting(10_000, "Entries kept in the in-process L1 cache.", minimum=0)
    enabled: bool = setting(True, "Cache reads at all; false sends every read to the database.")
    l1_max_bytes: int = setting(
        67_108_864, "Bytes the in-process L1 cache may hold (values counted encoded).", minimum=0
    )
    key_prefix: str = setting(
        "cache", "Prefix of every key on the cache server (deployments sharing one server differ here)."
    )
    max_connections: int = setting(32, "Connections in the cache client's pool.", minimum=2)
    compress_threshold_bytes: int = setting(
        1024, "Values sent to the cache server above this size are compressed (zlib).", minimum=0
    )
    breaker_failures: int = setting(
        5, "Failed cache-server calls within the window that open the circuit breaker.", minimum=1
    )
    breaker_window_seconds: float = setting(
        10.0, "Window in which the circuit breaker counts failures.", minimum=0.1
    )
    breaker_reset_seconds: float = setting(
        5.0, "How long the open breaker skips the cache server before one probe call.", minimum=0.1
    )
    lock_wait_ms: int = setting(
        250,
        "How long a process waits for another process loading the same key before loading itself.",
        minimum=0,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class JwtSettings:
    secret: str = setting(
        DEFAULT_JWT_SECRET,
        "Signing key: the HS256 secret (at least 32 characters in production), or a PEM private key "
        "(literal \\n allowed) for EdDSA and ES256.",
        secret=True,
    )
    key_id: str = setting("k1", "`kid` of the signing key, written into every token header.")
    retired_keys: tuple[str, ...] = setting(
        (),
        "Keys that still verify after a rotation: kid=secret (HS256) or kid=PEM public key (literal \\n "
        "allowed), comma-separated; tokens with any other kid are refused.",
        secret=True,
    )
    algorithm: JwtAlgorithm = setting(JwtAlgorithm.HS256, "Token signing algorithm.")
    issuer: str = setting("clinic-backend", "`iss` claim written and required.")
    audience: str = setting("clinic-backend-api", "`aud` claim written and required.")
    access_ttl_minutes: int = setting(15, "Lifetime of an access token.", minimum=1, maximum=1440)
    leeway_seconds: int = setting(30, "Clock skew tolerated when checking token times.", minimum=0)
    refresh_idle_minutes: int = setting(720, "A session ends after this long without a refresh.", minimum=1)
    session_lifetime_hours: int = setting(
        720, "A session ends this long after sign-in, refreshed or not.", minimum=1
    )
    refresh_reuse_grace_seconds: int = setting(
        10,
        "A used refresh token presented again within this window is refused without revoking the session.",
        minimum=0,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitSettings:
    enabled: bool = setting(True, "Apply request rate limits.")
    requests_per_minute: int = setting(600, "API requests per client address per minute.", minimum=1)
    user_requests_per_minute: int = setting(300, "API requests per signed-in user per minute.", minimum=1)
    clinic_requests_per_minute: int = setting(
        3000, "API requests per clinic (all its users) per minute.", minimum=1
    )
    auth_requests_per_minute: int = setting(
        30, "Requests to /api/v1/auth/* per client address per minute.", minimum=1
    )
    otp_requests_per_hour: int = setting(10, "Codes one email or phone may be sent per hour.", minimum=1)
    otp_resend_cooldown_seconds: int = setting(60, "Least time between two codes to one identity.", minimum=1)
    otp_requests_per_ip_per_hour: int = setting(
        30, "Codes one client address may ask for per hour.", minimum=1
    )
    otp_lock_minutes: int = setting(15, "How long an identity stays locked after 5 wrong guesses.", minimum=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggingSettings:
    level: LogLevel = setting(LogLevel.INFO, "Lowest log level written.")
    format: LogFormat = setting(LogFormat.CONSOLE, "Log line format.")
    access_log: bool = setting(True, "Write one line per HTTP request.")


@dataclass(frozen=True, slots=True, kw_only=True)
class TracingSettings:
    enabled: bool = setting(
        False, "OpenTelemetry tracing of HTTP requests (needs the `otel` extra installed)."
    )
    otlp_endpoint: str = setting(
        "", "OTLP/HTTP collector for spans (e.g. http://otel-collector:4318/v1/traces); empty: none sent."
    )
    service_name: str = setting("clinic-backend", "The service.name resource attribute of the spans.")


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailSettings:
    provider: EmailProvider = setting(
        EmailProvider.CONSOLE,
        "Where e-mail goes: the terminal (console, development only), or an SMTP server.",
        doc_default="`console`; `smtp` in production",
    )
    smtp_host: str = setting(
        "127.0.0.1", "SMTP server host.", doc_default="`127.0.0.1`; `mailpit` in a container"
    )
    smtp_port: int = setting(1025, "SMTP server port.", minimum=1, maximum=65535)
    smtp_username: str = setting("", "SMTP user name (empty: no login).")
    smtp_password: str = setting("", "SMTP password.", secret=True)
    smtp_starttls: bool = setting(False, "Upgrade the SMTP connection with STARTTLS.")
    smtp_tls: bool = setting(False, "Speak TLS from the first byte (SMTPS, port 465); not with STARTTLS.")
    smtp_timeout_seconds: float = setting(10.0, "Timeout of each SMTP step.", minimum=0.1)
    from_address: str = setting("no-reply@clinic.local", "Sender address of outgoing e-mail.")


@dataclass(frozen=True, slots=True, kw_only=True)
class CorsSettings:
    allow_origins: tuple[str, ...] = setting(
        (), "Origins allowed by CORS (comma-separated); empty disables CORS."
    )
    allow_credentials: bool = setting(False, "Allow credentials in CORS requests; never together with `*`.")
    allow_methods: tuple[str, ...] = setting(
        ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"), "Methods allowed by CORS (comma-separated)."
    )
    allow_headers: tuple[str, ...] = setting(
        ("Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Request-ID"),
        "Request headers allowed by CORS (comma-separated).",
    )
    max_age_seconds: int = setting(600, "How long browsers may cache a preflight answer.", minimum=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class SecuritySettings:
    phi_encryption_key: str = setting(
        "",
        "AES-256-GCM key ring for health data at rest: kid:base64key[,kid:base64key], the first "
        "encrypts, the rest only decrypt; empty outside production uses a fixed development key.",
        secret=True,
        check=key_ring_problem,
    )
    blind_index_key: str = setting(
        DEFAULT_BLIND_INDEX_KEY,
        "HMAC key of the blind indexes (email, phone lookups); never rotate it in place.",
        secret=True,
    )
    audit_key: str = setting(
        DEFAULT_AUDIT_KEY, "HMAC key chaining the audit trail; change it in production.", secret=True
    )
    audit_flush_interval_ms: int = setting(
        1000,
        "Longest wait before buffered audit entries of PHI reads are written (a crash loses at most this).",
        minimum=1,
    )
    audit_retention_days: int = setting(
        2557, "Audit entries younger than this are never pruned (7 years).", minimum=1
    )
    records_retention_days: int = setting(
        3653,
        "Deleted patient records are kept this long before `healthcare records purge` removes them "
        "(10 years).",
        minimum=1,
    )
    trusted_proxies: tuple[str, ...] = setting(
        (), "Proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDRs).", check=address_problem
    )
    patient_self_registration: bool = setting(
        False, "Verifying a code for an unknown email or phone creates a PATIENT user (no clinic)."
    )
    otp_hash_key: str = setting(
        DEFAULT_OTP_HASH_KEY, "HMAC key for stored OTP codes; change it in production.", secret=True
    )
    prescription_link_ttl_hours: int = setting(
        72,
        "Lifetime of a prescription's signed document link (signed with a key derived from JWT_SECRET).",
        minimum=1,
        maximum=720,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatsAppSettings:
    enabled: bool = setting(False, "Send messages through the WhatsApp Cloud API.")
    api_url: str = setting("https://graph.facebook.com", "Graph API base URL.", check=url_problem)
    api_version: str = setting("v21.0", "Graph API version.")
    access_token: str = setting("", "Graph API access token; required when enabled.", secret=True)
    phone_number_id: str = setting("", "Sending phone number id; required when enabled.")
    business_account_id: str = setting("", "WhatsApp business account id.")
    app_secret: str = setting("", "Meta app secret verifying webhook signatures.", secret=True)
    webhook_verify_token: str = setting(
        "", "Token answering the webhook verification challenge.", secret=True
    )
    otp_template: str = setting("otp_code", "Template name of OTP messages.")
    appointment_confirmation_template: str = setting(
        "appointment_confirmation", "Template name of appointment confirmations."
    )
    appointment_reminder_template: str = setting(
        "appointment_reminder", "Template name of appointment reminders."
    )
    appointment_cancellation_template: str = setting(
        "appointment_cancellation", "Template name of appointment cancellation notices."
    )
    prescription_notice_template: str = setting(
        "prescription_ready", "Template name of prescription notices."
    )
    template_language: str = setting("en_US", "Language code of the templates.")
    messages_per_second: float = setting(20.0, "Outgoing message rate limit.", minimum=0)
    connect_timeout_seconds: float = setting(
        3.0, "Timeout for opening a connection to the Graph API.", minimum=0.1
    )
    request_timeout_seconds: float = setting(
        10.0,
        "Timeout for the Graph API's answer once a request is sent (the outcome is then unknown).",
        minimum=0.1,
    )


def clock_time_problem(item: str) -> str | None:
    hours, sep, minutes = item.partition(":")
    well_formed = sep and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()
    return None if well_formed and int(hours) < 24 and int(minutes) < 60 else "expected HH:MM (24-hour)"


def reminder_hours_problem(item: str) -> str | None:
    try:
        ok = 0 < float(item) <= 24 * 14
    except ValueError:
        ok = False
    return None if ok else "expected hours between 0 and 336, such as 24,2"


@dataclass(frozen=True, slots=True, kw_only=True)
class MessagingSettings:
    """What patients are sent about their appointments and prescriptions (domain.notifications)."""

    reminder_hours: tuple[str, ...] = setting(
        ("24", "2"),
        "Appointment reminders go out this many hours before the start (comma-separated; empty: none).",
        check=reminder_hours_problem,
    )
    quiet_hours_start: str = setting(
        "21:00",
        "Start of the quiet hours (HH:MM, clinic-local): a reminder due inside them goes out just before.",
        check=clock_time_problem,
    )
    quiet_hours_end: str = setting(
        "08:00",
        "End of the quiet hours (HH:MM, clinic-local); equal to the start: none.",
        check=clock_time_problem,
    )
    public_url: str = setting(
        "http://127.0.0.1:8088",
        "Base URL of the API as patients reach it, for the links in messages (prescription documents).",
        check=url_problem,
    )
    dispatch_batch_size: int = setting(
        50, "Domain events the notification dispatcher handles per turn.", minimum=1, maximum=1000
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """All settings, by concern; `sources` maps every env key to where its value came from."""

    app: AppSettings = field(default_factory=AppSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    jwt: JwtSettings = field(default_factory=JwtSettings)
    rate_limit: RateLimitSettings = field(default_factory=RateLimitSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    tracing: TracingSettings = field(default_factory=TracingSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    cors: CorsSettings = field(default_factory=CorsSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    whatsapp: WhatsAppSettings = field(default_factory=WhatsAppSettings)
    messaging: MessagingSettings = field(default_factory=MessagingSettings)
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_production(self) -> bool:
        """Production rules apply when either the environment or the profile says production."""
        return self.app.env is AppEnv.PRODUCTION or self.app.profile is Profile.PRODUCTION


SECTIONS: Mapping[str, type[Any]] = MappingProxyType(
    {f.name: cast(type[Any], f.type) for f in dataclasses.fields(Settings) if f.name != "sources"}
)


def env_key(section: str, name: str) -> str:
    return f"{section}_{name}".upper()
