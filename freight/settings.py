"""One typed Settings object; the only reader of the environment (prefix FREIGHT_)."""

from __future__ import annotations

import ipaddress
import sys
from datetime import date, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator, model_validator
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
LabelFileType = Literal[
    "PNG", "PNG_2.3x7.5", "PDF", "PDF_2.3x7.5", "PDF_4x6", "PDF_4x8", "PDF_A4", "PDF_A5",
    "PDF_A6", "ZPLII",
]  # fmt: skip
INSECURE_DEFAULT_SECRET = "dev-insecure-change-me"  # noqa: S105 - refused in production
MIN_SECRET_CHARS = 32
# Secrets held to MIN_SECRET_CHARS and "no placeholder" in production; any `*_secret` field too.
SECRET_FIELDS = ("secret_key", "webhook_token", "metrics_token", "database_password")
# What production needs for real carriers, payments, email, links and a shared broker; without
# them the sandboxes (or 127.0.0.1 links, an embedded broker) would be used silently.
PRODUCTION_REQUIRED = {
    "shippo_api_key": "labels would come from the sandbox carrier",
    "stripe_api_key": "cards would be 'authorized' by the sandbox payment provider",
    "smtp_url": "customer email would be written to files in the data directory",
    "public_base_url": "links in customer email would point at http://127.0.0.1:8000",
    "redis_url": "the broker would be an embedded SQLite file, not shared by other hosts",
}


def _split_codes(value: Any) -> Any:
    """Accept 'US,CA' or 'US CA' or a JSON-ish list; keep codes as strings (NA stays Namibia)."""
    if isinstance(value, str):
        text = value.strip().strip("[]")
        return [p.strip().strip("'\"") for p in text.replace(",", " ").split() if p.strip()]
    return value


CodeList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    # An empty variable (as docker/.env.example ships them) counts as unset: the default applies,
    # and production's check-list says what is missing.
    model_config = SettingsConfigDict(env_prefix="FREIGHT_", extra="ignore", env_ignore_empty=True)

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".freight")
    database_url: str | None = None
    # Replaces the password in database_url, so a password with @ : / % # needs no URL escaping.
    database_password: str | None = None
    db_pool_size: int = Field(default=5, ge=1)  # per process: size pools to max_connections
    db_max_overflow: int = Field(default=5, ge=0)
    db_connect_timeout_seconds: float = 60.0  # migrate/beat keep retrying the database this long
    redis_url: str | None = None
    secret_key: str = INSECURE_DEFAULT_SECRET
    webhook_token: str = "dev-webhook-token"  # noqa: S105 - refused in production
    # Shippo's HMAC webhook signature (SPEC §10): with a secret set, every delivery must carry
    # a valid `t=…,v1=…` signature header as well as the token.
    shippo_webhook_hmac_secret: str | None = None
    shippo_webhook_signature_header: str = Field(
        default="Shippo-Auth-Signature", min_length=1, pattern=r"^[A-Za-z0-9-]+$"
    )
    max_body_bytes: int = 1_000_000
    # Multipart uploads (damage-report photos: up to 10 files of 10 MB each are checked per file)
    max_upload_bytes: int = 60_000_000
    max_photo_bytes: int = 10_000_000
    max_photos: int = 10
    log_level: str = "INFO"
    access_log: bool = True  # one JSON line per request on stdout (with its request id)
    # Proxies whose X-Forwarded-For is believed (IPs or CIDRs); empty: the socket peer is the client
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allow_sandbox: bool = False  # production may run on the sandboxes (a staging deployment)

    # Background work (worker/, freight/jobs): Celery on Redis, or an embedded SQLite broker
    task_queue: str = "freight"  # Celery queue name (tests use a unique one)
    worker_pool: Literal["prefork", "threads", "solo"] | None = None  # default: threads
    # Jobs (label purchases above all: each waits ~0.25-1 s on the carrier) one worker process
    # runs at once, on Celery's thread pool; its database and HTTP pools are sized to match.
    label_concurrency: int = Field(default=16, ge=1, le=256)
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
    metrics_token: str | None = None  # when set, /metrics wants `Authorization: Bearer <token>`
    metrics_cache_seconds: float = 15.0  # database/broker gauges are read at most this often
    worker_metrics_port: int | None = None  # `freight worker` serves its own /metrics here
    serve_background: bool | None = None  # `freight serve` also runs worker+beat (None: embedded)
    # Shared by the processes of one host so /metrics adds them up (prometheus_client's variable
    # is accepted too); gunicorn (freight.gunicorn_conf) makes a fresh one when unset.
    prometheus_multiproc_dir: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "FREIGHT_PROMETHEUS_MULTIPROC_DIR",
            "PROMETHEUS_MULTIPROC_DIR",
            "prometheus_multiproc_dir",
        ),
    )
    beat_dir: Path | None = None  # beat's schedule, heartbeat and lock file; default: data_dir

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
    carrier_purchase_timeout_seconds: float = 75.0  # label purchases and refunds wait longer
    carrier_rate_limits: bool = True  # wait for Shippo's per-minute limits (shared by processes)
    # Label purchases (POST /transactions) per minute for the whole service, every worker sharing
    # the budget; default Shippo's published live limit (a test key is held to its own 50).
    carrier_rate_per_minute: int = Field(default=500, ge=1)
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
    # Set when pages load Stripe.js (card entry): their CSP then allows https://js.stripe.com.
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None  # whsec_…: checks Stripe-Signature on /webhooks/stripe
    sandbox_stripe_webhook_url: str | None = None  # where the sandbox POSTs its signed events
    hold_renew_days: int = Field(default=6, ge=1, le=6)  # re-authorize holds older than this
    payment_poll_minutes: int = Field(default=10, ge=1)  # intents unconfirmed this long are polled
    quote_validity_days: int = 7
    quote_tolerance: Decimal = Decimal("0.10")

    # Customs
    default_hs_code: str = "8517.62"
    hs_codes: dict[str, str] = Field(default_factory=dict)
    # Outbound shipments (issue 5): customs contents type is Shippo's enum; the customs value is
    # the RR's declared value, else the proof-of-purchase price, else this default (USD).
    customs_contents_type: str = "RETURN_MERCHANDISE"
    customs_origin_country: str = "US"  # country of manufacture when the part is not listed
    manufacture_countries: dict[str, str] = Field(default_factory=dict)  # part → country made in
    customs_default_value: Decimal = Decimal("100.00")
    customs_incoterm: Literal["DDU", "DDP"] = "DDU"  # who pays import duties: recipient / sender
    customs_net_weight_ratio: Decimal = Decimal("0.8")  # net (unit) ÷ gross (parcel) weight
    # Shippo's label_file_type (LabelFileTypeEnum); ZPLII for thermal printers (issue 11 §2).
    label_format: LabelFileType = "PDF_4x6"

    # Staff sign-in (SPEC §9)
    session_idle_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 30)
    password_link_hours: int = Field(default=72, ge=1, le=24 * 30)

    # Customer access
    customer_token_hours: int = 24
    lookup_rate_per_minute: int = 10
    # Rate-limit keys are `{namespace}:{purpose}:…` (Redis or the SQLite file): give deployments
    # (or test runs) sharing one Redis database their own namespace.
    ratelimit_namespace: str = Field(default="rrf", pattern=r"^[A-Za-z0-9_.-]{1,64}$")

    # Notifications
    smtp_url: str | None = None
    mail_from: str = "RR Freight <repairs@example.com>"
    public_base_url: str = "http://127.0.0.1:8000"

    # Inbound return labels (issue 17 §1): regions (north_america, international) whose
    # customers get the label to the depot paid by the vendor; elsewhere the customer pays.
    vendor_paid_inbound: CodeList = Field(default_factory=list)

    # Advance replacement (issue 17 §2): list prices by part number ("249.00 USD"), charged to
    # the saved card when the defective unit is not scanned within the return window.
    replacement_prices: dict[str, str] = Field(default_factory=dict)
    advance_return_days: int = Field(default=30, ge=1, le=365)
    advance_reminder_day: int = Field(default=21, ge=0, le=365)  # 0: no reminder

    @field_validator("replacement_prices")
    @classmethod
    def _prices(cls, value: dict[str, str]) -> dict[str, str]:
        from freight.advance.rules import parse_prices  # pure; imported late to keep this light

        try:
            table = parse_prices(value)
        except ValueError as exc:
            raise ValueError(f"FREIGHT_REPLACEMENT_PRICES: {exc}") from None
        return {part: f"{m.amount} {m.currency}" for part, m in table.items()}

    @field_validator("vendor_paid_inbound", mode="before")
    @classmethod
    def _regions(cls, value: Any) -> Any:
        regions = _split_codes(value)
        if isinstance(regions, list):
            bad = [r for r in regions if str(r).lower() not in ("north_america", "international")]
            if bad:
                raise ValueError(f"regions are north_america or international, not {bad}")
            return [str(r).lower() for r in regions]
        return regions

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

    @field_validator("business_weekdays", "extra_closures", "trusted_proxies", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return _split_codes(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR network") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"FREIGHT_TIMEZONE {value!r} is not an IANA time zone (e.g. America/Los_Angeles)"
            ) from None
        return value

    @model_validator(mode="after")
    def _production_guard(self) -> Settings:
        if self.env == "production":
            problems = production_problems(self)
            if problems:
                raise ValueError("refusing to start in production:\n  - " + "\n  - ".join(problems))
        return self

    def startup_warnings(self) -> list[str]:
        """What an operator should hear about at start (logged by every process)."""
        if self.env != "production":
            return []
        out = []
        if (self.shippo_api_key or "").startswith("shippo_test_"):
            out.append(
                "FREIGHT_SHIPPO_API_KEY is a Shippo test key: labels are not real"
                + ("" if self.allow_sandbox else "; its test-mode labels and events are refused")
            )
        if (self.stripe_api_key or "").startswith(("sk_test_", "rk_test_")):
            out.append("FREIGHT_STRIPE_API_KEY is a Stripe test key: no card is really charged")
        if self.stripe_api_key and not self.stripe_webhook_secret:
            out.append(
                "FREIGHT_STRIPE_WEBHOOK_SECRET is not set: Stripe's events are refused and only "
                "the poll (quotes.poll_payments) sees cards confirmed after the page closed"
            )
        if self.allow_sandbox:
            out += [
                f"FREIGHT_{name.upper()} is not set: {why} (FREIGHT_ALLOW_SANDBOX=true)"
                for name, why in PRODUCTION_REQUIRED.items()
                if name not in self.model_fields_set or not getattr(self, name)
            ]
        if "public_base_url" in self.model_fields_set and self.public_base_url.startswith("http:"):
            out.append("FREIGHT_PUBLIC_BASE_URL is not https: links in customer email are not")
        if self.metrics_enabled and not self.metrics_token:
            out.append("FREIGHT_METRICS_TOKEN is not set: /metrics answers anyone who can reach it")
        return out

    @property
    def db_url(self) -> str:
        if self.database_url:
            if self.database_password is None:
                return self.database_url
            from sqlalchemy.engine import make_url

            url = make_url(self.database_url).set(password=self.database_password)
            return url.render_as_string(hide_password=False)
        return f"sqlite:///{(self.data_dir / 'freight.db').resolve()}"

    @property
    def beat_path(self) -> Path:
        return self.beat_dir or self.data_dir

    @property
    def refuse_test_mode(self) -> bool:
        """Production refuses carrier test-mode labels and events (issue 15), unless it runs on
        the sandboxes on purpose (FREIGHT_ALLOW_SANDBOX, a staging deployment)."""
        return self.env == "production" and not self.allow_sandbox

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: the server-free embedded default."""
        return not self.redis_url


def _is_secret(name: str) -> bool:
    return name in SECRET_FIELDS or name.endswith("_secret")


def production_problems(settings: Settings) -> list[str]:
    """Every reason production must not start with these settings (SPEC §7; issue 16)."""
    problems = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if not _is_secret(name) or value is None:
            continue
        var = f"FREIGHT_{name.upper()}"
        if len(value) < MIN_SECRET_CHARS:
            problems.append(f"{var} must be at least {MIN_SECRET_CHARS} characters")
        elif "change-me" in value.lower() or value in (INSECURE_DEFAULT_SECRET,):
            problems.append(f"{var} is a placeholder; generate one (openssl rand -hex 32)")
    if not settings.database_url:
        problems.append("FREIGHT_DATABASE_URL must be set (postgresql://…)")
    if not settings.allow_sandbox:
        for name, why in PRODUCTION_REQUIRED.items():
            if name not in settings.model_fields_set or not getattr(settings, name):
                problems.append(
                    f"FREIGHT_{name.upper()} must be set, else {why} "
                    "(FREIGHT_ALLOW_SANDBOX=true allows that on purpose)"
                )
    return problems


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_or_exit() -> Settings:
    """get_settings() for a process entry point: a refusal is one clear message and exit 2."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            msg = error["msg"].removeprefix("Value error, ")
            var = f"FREIGHT_{str(error['loc'][0]).upper()}" if error["loc"] else ""
            lines.append(f"  - {msg}" if not var or msg.startswith(var) else f"  - {var}: {msg}")
        print("freight: the settings are not usable:", *lines, sep="\n", file=sys.stderr)  # noqa: T201
        raise SystemExit(2) from None
