"""Service settings, read from ``ACCIDENT_ONLINE_*`` environment variables.

Built inside ``create_app()`` and the CLI, never at import time, so that tests and tools
make their own.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from accident_online.kit.db import Database, create_engine, is_sqlite

MiB = 1024 * 1024

# Standard Webhooks' recommended schedule, in seconds after the first attempt failed.
DEFAULT_RETRY_SCHEDULE: list[float] = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCIDENT_ONLINE_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long a client may take to send a request's line and headers.",
    )
    max_header_bytes: int = Field(default=64 * 1024, ge=4096)
    keep_alive_timeout_seconds: int = Field(default=5, ge=1)
    max_connections: int = Field(
        default=1000, ge=1, description="Open connections (and requests) one process serves."
    )
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The service's address as partners reach it, for the OpenAPI `servers`.",
    )
    var_dir: Path = Field(
        default=Path("var"), description="Where the SQLite database, dev secrets and uploads live."
    )

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; sqlite+aiosqlite (default, under var/) or postgresql+asyncpg.",
    )
    database_pool_size: int = Field(default=10, ge=1)
    database_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)

    jwt_secret: SecretStr | None = Field(
        default=None, description="HMAC key for access tokens; required in production."
    )
    access_token_ttl_seconds: int = Field(
        default=3600, ge=60, le=86400, description="Partner systems' tokens."
    )
    person_token_ttl_seconds: int = Field(
        default=43200, ge=60, le=86400, description="People's tokens: one shift."
    )
    account_check_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="How long a process trusts an account's enabled state and token version.",
    )
    password_hash_time_cost: int = Field(default=3, ge=1, le=20)
    password_hash_memory_kib: int = Field(default=65536, ge=1024, le=1048576)
    sign_in_max_failures: int = Field(
        default=5, ge=1, description="Failures per username and address before a pause."
    )
    sign_in_lockout_seconds: int = Field(
        default=60, ge=1, description="The first pause; each further tier is 15 times longer."
    )
    sign_in_name_throttle_failures: int = Field(
        default=50,
        ge=1,
        description="Failures for one username from all addresses (per 15 pauses) that "
        "put the name under attack: then each address gets one failure per pause.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="CIDRs of reverse proxies whose X-Forwarded-For is believed.",
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db for shared rate limits and lockouts."
    )
    redis_key_prefix: str = Field(default="accident-online", min_length=1, max_length=64)

    storage_dir: Path | None = Field(
        default=None, description="Evidence files; default var/evidence."
    )
    evidence_store: Literal["local", "s3"] = Field(
        default="local",
        description="Where photos live: the local disk (storage_dir), or an S3-compatible "
        "bucket (s3_*) shared by every API machine; storage_dir then holds only uploads "
        "in progress.",
    )
    s3_endpoint: str | None = Field(
        default=None,
        description="The object store's URL, e.g. https://oss-cn-beijing.aliyuncs.com.",
    )
    s3_bucket: str | None = Field(default=None, description="Bucket of the evidence objects.")
    s3_region: str = Field(default="us-east-1", description="Region the requests are signed for.")
    s3_access_key: str = Field(default="", description="Access key id for the bucket.")
    s3_secret_key: SecretStr = Field(default=SecretStr(""), description="Its secret.")
    s3_prefix: str = Field(
        default="", max_length=200, description="Prefix of every key, e.g. 'evidence/'."
    )
    evidence_redirect_to_store: bool = Field(
        default=True,
        description="With evidence_store = s3, a view_url answers 307 to a presigned URL "
        "of the store instead of passing the bytes through the API.",
    )
    evidence_presigned_seconds: int = Field(
        default=60, ge=1, le=3600, description="Lifetime of that presigned URL."
    )
    max_upload_bytes: int = Field(default=10 * MiB, ge=1)
    evidence_max_pixels: int = Field(
        default=50_000_000, ge=1, description="Largest photo accepted, in pixels (width × height)."
    )
    evidence_sheet_font: Path = Field(
        default=Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
        description="CJK TrueType font for the contact sheet's labels (Debian fonts-wqy-zenhei).",
    )
    evidence_link_ttl_seconds: int = Field(
        default=600, ge=10, le=86400, description="How long a photo's signed view_url works."
    )
    evidence_sweep_grace_seconds: float = Field(
        default=3600,
        ge=0,
        description="Age from which unfinished or unreferenced evidence files are swept.",
    )
    evidence_sweep_interval_seconds: float = Field(default=3600, gt=0)
    max_body_bytes: int = Field(default=1 * MiB, ge=1024)
    rate_limit_sign_in_per_minute: float = Field(
        default=30, gt=0, description="Token requests a minute per client address."
    )
    rate_limit_reports_per_minute: float = Field(
        default=1200, gt=0, description="Reports a minute per app partner."
    )
    report_max_age_hours: int = Field(default=24, ge=1)

    claim_lease_minutes: int = Field(default=30, ge=1)
    document_font_path: Path = Field(
        default=Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
        description="TrueType font (or collection: its first face) embedded in decision "
        "documents; it must cover Chinese (Debian: fonts-wqy-zenhei).",
    )
    claim_payment_days: int = Field(
        default=10,
        ge=1,
        le=90,
        description="Days an insurer has to pay a requested claim: 《保险法》第二十三条, within "
        "10 days of agreeing the amount.",
    )
    appraisal_objection_days: int = Field(
        default=5,
        ge=1,
        le=30,
        description="Days each party has to object to a completed appraisal (local practice).",
    )
    # The determination's legal life (order 146; DOMAIN.md). Days may be fractions, so that
    # tests run the whole road in a second.
    confirmation_expiry_hours: float = Field(
        default=24, gt=0, description="A case not confirmed by every party expires after this."
    )
    determination_limit_days: float = Field(
        default=3, gt=0, description="A determination is due this long after queueing (art. 24)."
    )
    review_window_days: float = Field(
        default=3, gt=0, description="A party may apply for review this long after its receipt."
    )
    review_limit_days: float = Field(
        default=30, gt=0, description="A review is due this long after the application (art. 74)."
    )
    redetermination_limit_days: float = Field(
        default=10, gt=0, description="A revoked decision is made again within this (art. 74)."
    )
    run_housekeeping: bool = Field(
        default=True,
        description="Expire officers' leases, unconfirmed cases and review windows in this "
        "process.",
    )
    housekeeping_interval_seconds: float = Field(default=15.0, gt=0)

    webhook_retry_schedule: list[float] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE)
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_allow_private_targets: bool | None = Field(
        default=None,
        description="Allow webhook URLs on private addresses; default: not in production.",
    )
    webhook_batch_size: int = Field(default=200, ge=1, le=5000)
    webhook_senders: int = Field(default=16, ge=1, le=256)
    webhook_per_endpoint: int = Field(
        default=8,
        ge=1,
        le=256,
        description="Concurrent attempts per partner endpoint (half the senders by default: "
        "a slow endpoint leaves the other half to everyone else).",
    )
    partner_event_max_amount: Decimal = Field(
        default=Decimal("5000000.00"),
        gt=0,
        description="Largest assessed loss or payment (yuan) an insurer's event may carry.",
    )
    run_delivery_worker: bool = Field(
        default=True, description="Run the webhook delivery worker inside the API process."
    )

    metrics_allowed_networks: list[str] = Field(
        default_factory=lambda: [
            "127.0.0.0/8",
            "::1/128",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
        ]
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad one
        return value

    @model_validator(mode="after")
    def _production_needs_explicit_secrets(self) -> Settings:
        if self.env == "production":
            missing = [
                name
                for name, value in (
                    ("JWT_SECRET", self.jwt_secret),
                    ("DATABASE_URL", self.database_url),
                )
                if value is None
            ]
            if missing:
                names = ", ".join(f"ACCIDENT_ONLINE_{name}" for name in missing)
                raise ValueError(f"production mode needs {names} set explicitly")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'accident-online.db').resolve()}"

    def open_database(self, *, pool_size: int | None = None) -> Database:
        """The engine and sessions these settings describe; the server's pool by default
        (the command line's short jobs ask for a smaller one)."""
        url = self.resolved_database_url
        if is_sqlite(url):
            self.var_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            pool_size=self.database_pool_size if pool_size is None else pool_size,
            busy_timeout_ms=self.sqlite_busy_timeout_ms,
            connect_timeout=self.database_connect_timeout_seconds,
        )
        return Database(engine, url=url)

    @property
    def resolved_storage_dir(self) -> Path:
        return self.storage_dir if self.storage_dir is not None else self.var_dir / "evidence"

    @property
    def allow_private_webhook_targets(self) -> bool:
        if self.webhook_allow_private_targets is not None:
            return self.webhook_allow_private_targets
        return self.env != "production"

    def jwt_key(self) -> str:
        """The token signing key; outside production one is made once and kept under var/."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        path = self.var_dir / "jwt-secret"
        if path.exists():
            return path.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # O_EXCL: two processes starting at once must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key
