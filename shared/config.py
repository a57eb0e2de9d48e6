"""Typed settings, read from the environment once, at call time."""

from __future__ import annotations

import enum
from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = frozenset({"", "changeme", "change-me", "secret", "placeholder", "todo", "xxx"})


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SettingsError(RuntimeError):
    """Raised when production starts with missing or placeholder secrets."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    environment: Environment = Field(default=Environment.DEVELOPMENT, alias="APP_ENV")
    database_url: str = ""
    redis_url: str = ""
    redis_ca_cert: str = ""  # PEM of the CA of a rediss:// REDIS_URL's server certificate (not a secret)
    supabase_jwt_secret: str = ""
    supabase_jwks_url: str = ""
    jwt_issuer: str = ""
    jwt_audience: str = "authenticated"
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    jwks_cache_seconds: int = Field(default=600, ge=0)
    jwks_min_refresh_seconds: float = Field(default=30.0, ge=0)
    supabase_webhook_secret: str = ""
    supabase_webhook_signing_secret: str = ""
    messaging_service_token: str = ""  # `Authorization: Bearer` of the messaging service (external messages)

    rate_limit_user_per_minute: int = Field(default=600, ge=1)
    rate_limit_organization_per_minute: int = Field(default=3_000, ge=1)
    rate_limit_ip_per_minute: int = Field(default=60, ge=1)
    cors_allowed_origins: str = ""  # comma-separated exact origins, e.g. https://app.example.com
    # Provider credentials (AES-256-GCM): "kid1:<base64 32 bytes>,kid2:<...>"; new writes use the active id.
    # Outside production, when both are empty, shared/crypto.py derives a fixed development key ("dev").
    credentials_keys: str = ""
    credentials_active_key_id: str = ""

    db_role: str = "platform_app"  # switched to after login, so row-level security applies
    db_pool_size: int = Field(default=8, ge=1, le=100)  # gunicorn runs 4 threads per vCPU; 2 vCPU -> 8
    db_statement_timeout_ms: int = Field(default=5_000, ge=100)
    db_connect_timeout_s: float = Field(default=5.0, gt=0)
    redis_timeout_s: float = Field(default=0.5, gt=0)

    everflow_base_url: str = "https://api.eflow.team"
    everflow_api_key: str = ""
    everflow_connect_timeout_s: float = Field(default=3.05, gt=0)
    everflow_read_timeout_s: float = Field(default=30.0, gt=0)
    everflow_max_retries: int = Field(default=4, ge=0, le=10)
    everflow_requests_per_second: float = Field(default=20.0, gt=0)  # network-wide, shared by every instance
    everflow_report_timeout_s: float = Field(default=10.0, gt=0)  # reports a person waits for
    everflow_report_max_retries: int = Field(default=1, ge=0, le=10)
    everflow_report_concurrency: int = Field(default=10, ge=1, le=10)  # Everflow's cap on reporting calls
    everflow_network_employee_id: int | None = None
    everflow_tracking_domain_id: int | None = None
    everflow_timezone_id: int | None = None
    everflow_default_currency_id: str = Field(default="USD", pattern="^[A-Z]{3}$")  # when an entity names none
    everflow_offer_id_macro: str = "oid"  # Everflow's own defaults, for advertisers that set no macro
    everflow_affiliate_id_macro: str = "affid"

    # Stripe: the official client against stripe_api_base (our sandbox in tests and `make run`).
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""  # comma-separated while a secret rotates: each is tried
    stripe_api_base: str = "https://api.stripe.com"
    stripe_timeout_s: float = Field(default=10.0, gt=0)
    stripe_max_retries: int = Field(default=2, ge=0, le=10)  # the library keeps one Idempotency-Key across them
    stripe_webhook_tolerance_s: int = Field(default=300, ge=1)  # Stripe's default; older signatures are refused

    # Dashboards and reports: fresh for report_cache_ttl_s, then served stale while one refresh runs;
    # kept report_cache_stale_s so an Everflow outage serves the last numbers, flagged stale.
    report_cache_ttl_s: int = Field(default=300, ge=1)
    report_cache_stale_s: int = Field(default=86_400, ge=1)
    report_cache_l1_entries: int = Field(default=2_048, ge=0)  # in-process entries; 0 turns the L1 off
    report_cache_version_ttl_s: float = Field(default=1.0, ge=0)  # how long an instance trusts its tenant versions
    report_cache_flight_wait_s: float = Field(default=10.0, gt=0)  # wait for another instance's fetch at most
    report_cache_prefix: str = "rc"  # Redis key prefix; environments (and test databases) sharing a Redis differ

    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)  # load balancers in front that append X-Forwarded-For
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    max_page_size: int = Field(default=100, ge=1, le=1_000)
    event_bus: str = Field(default="local", pattern="^(local|pubsub)$")  # pubsub in production
    log_level: str = "INFO"
    gcp_project: str | None = Field(default=None, alias="GOOGLE_CLOUD_PROJECT")
    qr_bucket: str = ""  # QR images in this Cloud Storage bucket; empty: under storage_dir
    storage_dir: str = ".local/storage"
    storage_emulator_host: str = ""  # the gcp-storage-emulator, as google-cloud-storage reads it
    public_base_url: str = ""  # e.g. https://api.example.com; empty: the request's own host
    required_secrets: str = ""  # comma-separated setting names this function cannot start without
    # Usage billing (issue 7): the platform's fee in basis points of the affiliate payout (1000 = 10%),
    # and how many usage records one statement writes / one transaction charges.
    platform_fee_bps: int = Field(default=1_000, ge=0, le=10_000)
    usage_batch_size: int = Field(default=500, ge=1, le=10_000)

    def _secret(self, name: str) -> str:
        """A setting by its environment name; the JWKS URL stands in for the legacy JWT secret."""
        if name == "SUPABASE_JWT_SECRET":
            return self.supabase_jwt_secret or self.supabase_jwks_url
        value = getattr(self, name.lower(), None)
        return str(value) if value is not None else ""

    @property
    def stripe_webhook_secrets(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.stripe_webhook_secret.split(",") if s.strip())

    @property
    def cors_origins(self) -> frozenset[str]:
        return frozenset(o.strip().rstrip("/") for o in self.cors_allowed_origins.split(",") if o.strip())

    def require_production_secrets(self) -> None:
        """Stop start-up when a production secret this function needs is missing or a placeholder.

        Each deployed function lists its own secrets in REQUIRED_SECRETS (generated from the registry);
        without it, the database and cache URLs are required.
        """
        if self.environment is not Environment.PRODUCTION:
            return
        names = [n.strip() for n in self.required_secrets.split(",") if n.strip()] or ["DATABASE_URL", "REDIS_URL"]
        bad = sorted(name for name in names if self._secret(name).strip().lower() in PLACEHOLDERS)
        if bad:
            raise SettingsError(f"missing or placeholder settings in production: {', '.join(bad)}")


@cache
def get_settings() -> Settings:
    """The process's settings; validated on first use, never at import."""
    settings = Settings()
    settings.require_production_secrets()
    return settings
