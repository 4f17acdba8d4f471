"""One typed Settings object; the only reader of the environment (prefix FREIGHT_)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# SPEC §2: reviewed list, kept as data. UN M49 Northern America + Central America + Caribbean
# + US territories. Reviewed 2026-11; change it through FREIGHT_NORTH_AMERICA, never at run time.
DEFAULT_NORTH_AMERICA = (
    "BM CA GL PM US "
    "BZ CR GT HN MX NI PA SV "
    "AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC TT VC VG VI "
    "AS GU MP UM"
).split()
DEFAULT_EXPORT_RESTRICTED = ["CU", "IR", "KP", "SY"]
INSECURE_DEFAULT_SECRET = "dev-insecure-change-me"  # noqa: S105 - refused in production


def _split_codes(value: Any) -> Any:
    """Accept 'US,CA' or 'US CA' or a JSON-ish list; keep codes as strings (NA stays Namibia)."""
    if isinstance(value, str):
        text = value.strip().strip("[]")
        return [p.strip().strip("'\"") for p in text.replace(",", " ").split() if p.strip()]
    return value


CodeList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FREIGHT_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".freight")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str = INSECURE_DEFAULT_SECRET
    webhook_token: str = "dev-webhook-token"  # noqa: S105 - refused in production
    max_body_bytes: int = 1_000_000
    # Multipart uploads (damage-report photos: up to 10 files of 10 MB each are checked per file)
    max_upload_bytes: int = 60_000_000
    max_photo_bytes: int = 10_000_000
    max_photos: int = 10
    log_level: str = "INFO"

    # Background work (worker/, freight/jobs): Celery on Redis, or an embedded SQLite broker
    task_queue: str = "freight"  # Celery queue name (tests use a unique one)
    worker_pool: Literal["prefork", "threads", "solo"] | None = None  # default: prefork on Redis
    job_max_retries: int = 8  # retryable failures (carrier down, DB blip) before a job is `failed`
    job_retry_base_seconds: float = 2.0  # exponential backoff with jitter: base * 2**n, capped
    job_retry_max_seconds: float = 300.0
    job_lease_seconds: int = 300  # a running job is owned this long (also the hard task time limit)
    broker_visibility_timeout: int = 900  # Redis: unacked messages come back after this
    relay_interval_seconds: float = 10.0  # beat: publish outbox rows the after-commit hook missed
    relay_after_seconds: float = 5.0  # a `pending` row this old is relayed
    job_requeue_after_seconds: int = 1800  # a queued/retrying row untouched this long is re-sent
    lost_after_seconds: float = 60.0  # …or never started, this old, with the queue empty
    metrics_enabled: bool = True
    serve_background: bool | None = None  # `freight serve` also runs worker+beat (None: embedded)
    # prometheus_client's own variable: set it (to an empty dir) when running several API processes
    prometheus_multiproc_dir: str | None = Field(
        default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR"
    )

    # Policy data
    north_america: CodeList = Field(default_factory=lambda: list(DEFAULT_NORTH_AMERICA))
    export_restricted: CodeList = Field(default_factory=lambda: list(DEFAULT_EXPORT_RESTRICTED))
    inbound_window_days: int = 30
    repair_sla_working_days: int = 21
    restocking_fee_rate: Decimal = Decimal("0.20")
    credit_return_days: int = 30

    # Online requests, the policy text and the warranty registry (issue 12, SPEC §8)
    policy_file: Path | None = None  # default: the Return Policy text shipped in the package
    policy_effective_date: date = date(2026, 12, 1)
    submission_token_days: int = 90  # the request-scoped token a customer follows a request with
    authorized_resellers: CodeList = Field(default_factory=list)  # empty = any reseller (P-POP)
    warranty_months: dict[str, int] = Field(default_factory=lambda: {"*": 12})
    max_document_bytes: int = 10_000_000  # proof-of-purchase upload (PDF, JPEG or PNG)

    # Company calendar (P-HOURS, P-SLA)
    timezone: str = "America/Los_Angeles"
    business_open: time = time(8, 0)
    business_close: time = time(17, 0)
    business_weekdays: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4]
    )
    holiday_country: str = "US"
    holiday_subdivision: str | None = None
    extra_closures: Annotated[list[date], NoDecode] = Field(default_factory=list)

    # Repair depot (origin of outbound, destination of inbound)
    depot_name: str = "AltiGen Communications, Inc."
    depot_attention: str = "Repair Administration"
    depot_street1: str = "410 East Plumeria Drive"
    depot_city: str = "San Jose"
    depot_state: str = "CA"
    depot_postal_code: str = "95134"
    depot_country: str = "US"
    depot_phone: str = "+1 408 597 9000"
    depot_email: str = "repairs@example.com"

    # Carriers (Shippo); without a key the in-process sandbox carrier is used
    shippo_api_key: str | None = None
    shippo_base_url: str | None = None
    carrier_timeout_seconds: float = 10.0
    carrier_max_attempts: int = 5
    carrier_max_retry_seconds: float = 60.0
    tracking_quiet_minutes: int = 360
    tracking_poll_batch: int = 200  # trackers refreshed per poll run (tracking.poll)
    sandbox_db: Path | None = None  # default: <data_dir>/sandbox-carrier.db
    sandbox_webhook_url: str | None = None
    sandbox_latency_ms: int = 0
    sandbox_faults: str | None = None
    max_transit_days: int = 7

    # Payments (Stripe); without a key the sandbox provider is used
    stripe_api_key: str | None = None
    stripe_base_url: str | None = None
    quote_validity_days: int = 7
    quote_tolerance: Decimal = Decimal("0.10")

    # Customs
    default_hs_code: str = "8517.62"
    hs_codes: dict[str, str] = Field(default_factory=dict)
    # Outbound shipments (issue 5): customs contents type is Shippo's enum; the customs value is
    # the RR's declared value, else the proof-of-purchase price, else this default (USD).
    customs_contents_type: str = "RETURN_MERCHANDISE"
    customs_origin_country: str = "US"
    customs_default_value: Decimal = Decimal("100.00")
    label_format: str = "PDF_4x6"

    # Customer access
    customer_token_hours: int = 24
    lookup_rate_per_minute: int = 10

    # Notifications
    smtp_url: str | None = None
    mail_from: str = "RR Freight <repairs@example.com>"
    public_base_url: str = "http://127.0.0.1:8000"

    @field_validator("north_america", "export_restricted", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        return _split_codes(value)

    @field_validator("north_america", "export_restricted")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [v.upper() for v in value]

    @field_validator("authorized_resellers", mode="before")
    @classmethod
    def _resellers(cls, value: Any) -> Any:
        # Reseller names contain spaces: only commas (or a JSON-ish list) separate them.
        if isinstance(value, str):
            text = value.strip().strip("[]")
            return [p.strip().strip("'\"") for p in text.split(",") if p.strip()]
        return value

    @field_validator("policy_file")
    @classmethod
    def _policy_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"FREIGHT_POLICY_FILE {value} is not a readable file")
        return value

    @field_validator("warranty_months")
    @classmethod
    def _months(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in value.items() if not 0 <= v <= 600}
        if bad:
            raise ValueError(f"warranty months must be 0..600, not {bad}")
        return {k.strip().upper() if k.strip() != "*" else "*": v for k, v in value.items()}

    @field_validator("business_weekdays", "extra_closures", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return _split_codes(value)

    @model_validator(mode="after")
    def _production_guard(self) -> Settings:
        if self.env == "production":
            if self.secret_key == INSECURE_DEFAULT_SECRET:
                raise ValueError("FREIGHT_SECRET_KEY must be set in production")
            if self.webhook_token == "dev-webhook-token":  # noqa: S105
                raise ValueError("FREIGHT_WEBHOOK_TOKEN must be set in production")
            if not self.database_url:
                raise ValueError("FREIGHT_DATABASE_URL must be set in production")
        return self

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'freight.db').resolve()}"

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: the server-free embedded default."""
        return not self.redis_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
